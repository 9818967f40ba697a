"""Planning writes exactly one scheduled delivery per consenting customer, chunk after chunk,
and never two deliveries with the same code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from prilavok.bot import links, planning
from prilavok.storage.models import Customer
from tests.bot.conftest import Env


async def test_chunks_plan_every_consenting_customer_once_with_its_slug(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "CHUNK", 3)  # ten customers cross several chunks
    await env.product()
    names = ["Иван Петров", "Ёлкина Щука-Жанна", "Иван Петров", "!!!"] * 3
    items = [
        {"name": name, "phone": f"+7912000{i:04d}", "consent": {"sms": i % 6 != 5}}
        for i, name in enumerate(names)
    ]
    customers = await env.customers(*items)
    starts = env.clock.now() + timedelta(hours=1)
    await env.offer(starts_at=starts.isoformat())

    rows = await env.deliveries()
    consenting = [c["id"] for c in customers if c["consent"]["sms"]]
    assert [d.customer_id for d in rows] == consenting
    by_id = {c["id"]: c["name"] for c in customers}
    assert [d.slug for d in rows] == [links.name_slug(by_id[d.customer_id]) for d in rows]
    assert {(d.attempt, d.state, d.tries, d.not_before) for d in rows} == {
        (1, "scheduled", 0, starts)
    }
    assert all(d.created_at == env.clock.now() for d in rows)
    assert len({d.code for d in rows}) == len(rows)
    assert all(len(d.code) == links.CODE_LENGTH for d in rows)


async def test_listed_customers_only_those_of_the_shop_with_consent(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "CHUNK", 2)
    await env.product()
    customers = await env.customers(
        *({"name": f"Покупатель {i}", "phone": f"+7912100{i:04d}"} for i in range(8))
    )
    ids = [c["id"] for c in customers]
    async with env.server.deps.write() as session:
        await session.execute(
            update(Customer).where(Customer.id.in_(ids[:6])).values(consent_viber=True)
        )
    listed = [ids[5], ids[0], ids[7], ids[0], ids[3], 10_000_000]  # repeats, no consent, unknown
    status, data = await env.call(
        "POST",
        "/api/v1/offers",
        {"title": "x", "sku": "case-1", "template": "Привет", "customer_ids": listed},
    )
    assert status == 201 and data["offer"]["planned"] == 3
    assert [d.customer_id for d in await env.deliveries()] == [ids[0], ids[3], ids[5]]


async def test_a_code_drawn_twice_is_drawn_again(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    await env.product()
    await env.customers(
        *({"name": "Иван", "phone": f"+7912200{i:04d}", "consent": {"sms": True}} for i in range(3))
    )
    first = await env.offer()
    (old, *_) = await env.deliveries(offer_id=first)
    real = links.new_codes
    draws = [[old.code, "abcdefgh", "abcdefgh"]]  # one used before, one repeated in the chunk

    def rigged(n: int) -> list[str]:
        return draws.pop(0) if draws else real(n)

    monkeypatch.setattr(links, "new_codes", rigged)
    second = await env.offer()
    rows = await env.deliveries(offer_id=second)
    codes = [d.code for d in rows]
    assert len(rows) == 3 and len(set(codes)) == 3
    assert old.code not in codes and "abcdefgh" in codes
    assert len(await env.deliveries()) == 6
