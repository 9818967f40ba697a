"""Every waiting or failed delivery says why, as a machine-readable reason: in the offer's
summary, in the admin report, in the customer's history, and in the answer to creating an
offer that nobody can receive."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from prilavok.storage.db import create_engine, migrate
from tests.bot.conftest import Env
from tests.clients import add_operator, login


async def test_an_offer_nobody_can_receive_says_so_and_why(env: Env) -> None:
    await env.product()
    (c,) = await env.customers(
        {"name": "Иван", "phone": "+79123456781", "consent": {"telegram": True}}
    )
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет"}
    )
    assert status == 201
    offer = data["offer"]
    assert offer["planned"] == 1 and offer["reachable"] == 0
    assert offer["unreachable"] == {"not_linked": 1}
    assert offer["warning"]["code"] == "nobody_can_receive"

    await env.drain()
    (d,) = await env.deliveries()
    assert (d.state, d.reason) == ("failed", "not_linked")
    _, data = await env.call("GET", f"/api/v1/offers/{offer['id']}")
    assert data["offer"]["deliveries"] == {"failed": 1}
    assert data["offer"]["reasons"] == {"failed": {"not_linked": 1}}
    _, data = await env.call("GET", f"/api/v1/customers/{c['id']}")
    (row,) = data["customer"]["deliveries"]
    assert (row["offer_id"], row["state"], row["reason"]) == (offer["id"], "failed", "not_linked")

    await add_operator(env.server.deps, "boss", role="admin")
    cookies = {"prilavok_op": await login(env.url, "boss")}
    async with aiohttp.ClientSession(cookies=cookies) as h:
        report = await (await h.get(f"{env.url}/admin/api/offers/report")).json()
    assert report["reasons"] == [
        {
            "offer_id": offer["id"],
            "title": "x",
            "state": "failed",
            "reason": "not_linked",
            "count": 1,
        }
    ]


async def test_a_reachable_offer_has_no_warning_and_waits_with_a_reason(env: Env) -> None:
    await env.product()
    await env.customers(
        {"name": "Иван", "phone": "+79123456781", "consent": {"sms": True}},
        {"name": "Олег", "phone": "+79123456782", "consent": {"viber": True}},
    )
    env.clock.advance(hours=13)  # 22:00 in Moscow: night
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет"}
    )
    assert status == 201
    offer = data["offer"]
    assert (offer["planned"], offer["reachable"], offer["unreachable"]) == (
        2,
        1,
        {"not_linked": 1},
    )
    assert "warning" not in offer
    await env.drain()
    _, data = await env.call("GET", f"/api/v1/offers/{offer['id']}")
    assert data["offer"]["reasons"] == {
        "waiting": {"quiet_hours": 1},
        "failed": {"not_linked": 1},
    }


async def test_migration_0006_turns_old_notes_into_reasons(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    await migrate(engine, "0005")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    notes = {
        "night": ("scheduled", "quiet_hours"),
        "viber_quota": ("scheduled", "viber_hourly_limit"),
        "no_channel": ("failed", "no_channel"),
        "unreachable: timeout": ("scheduled", "unreachable"),
        "bot was blocked by the user": ("switched", "blocked"),
    }
    await _old_rows(engine, at, [(note, state, None) for note, (state, _) in notes.items()])
    await migrate(engine, "0006")
    async with engine.connect() as conn:
        rows = dict((await conn.execute(text("SELECT note, reason FROM deliveries"))).all())
    await engine.dispose()
    assert rows == {note: reason for note, (_, reason) in notes.items()}


async def test_migration_0014_leaves_notes_to_people(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    await migrate(engine, "0013")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    # (note, state, reason) as 0006 left them → (reason, note) after 0014.
    rows = {
        ("night", "scheduled", "quiet_hours"): ("quiet_hours", None),
        ("viber_quota", "scheduled", None): ("viber_hourly_limit", None),
        ("unreachable: timeout", "scheduled", "unreachable"): ("unreachable", "timeout"),
        ("rejected: 400 bad", "failed", None): ("rejected", "400 bad"),
        ("sms: ", "failed", "delivery_failed"): ("delivery_failed", None),
        ("viber failed: gone", "switched", "delivery_failed"): ("delivery_failed", "gone"),
        ("template: ZeroDivisionError", "failed", None): (
            "bad_template",
            "template: ZeroDivisionError",
        ),
        ("stop word 'стоп'", "failed", "opted_out"): ("opted_out", "stop word 'стоп'"),
        # Words that only look like a key stay words.
        ("nightly batch", "sent", None): (None, "nightly batch"),
        ("unreachable_x", "sent", None): (None, "unreachable_x"),
    }
    await _old_rows(engine, at, list(rows))
    await migrate(engine)
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT reason, note FROM deliveries ORDER BY id"))).all()
    await engine.dispose()
    assert [tuple(r) for r in found] == list(rows.values())


async def _old_rows(
    engine: AsyncEngine, at: datetime, rows: list[tuple[str, str, str | None]]
) -> None:
    """A customer, an offer and deliveries with these (note, state, reason), as raw rows."""
    with_reason = bool(rows) and any(r is not None for _, _, r in rows)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO customers (id, shop_id, name, phone, timezone, consent_telegram,"
                " consent_viber, consent_sms, link_token, telegram_blocked, unread_streak,"
                " exhausted, created_at, updated_at) VALUES (1, 's', 'И', '+79123456789',"
                " 'Europe/Moscow', false, false, true, 't', false, 0, '', :at, :at)"
            ),
            {"at": at},
        )
        await conn.execute(
            text(
                "INSERT INTO offers (id, shop_id, title, sku, template, starts_at, created_at)"
                " VALUES (1, 's', 'x', 'y', 'z', :at, :at)"
            ),
            {"at": at},
        )
        for i, (note, state, reason) in enumerate(rows, start=1):
            columns = "state, not_before, tries, note, created_at" + (
                ", reason" if with_reason else ""
            )
            values = ":state, :at, 0, :note, :at" + (", :reason" if with_reason else "")
            await conn.execute(
                text(
                    "INSERT INTO deliveries (id, offer_id, customer_id, attempt, code, slug,"
                    f" {columns}) VALUES (:i, 1, 1, :attempt, :code, 'i', {values})"
                ),
                {"i": i, "attempt": i, "code": f"c{i}", "state": state, "note": note, "at": at,
                 "reason": reason},
            )  # fmt: skip
