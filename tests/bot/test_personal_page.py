"""The personal page on the open internet: one pending reminder however often it is asked for,
CSRF tokens on every form and the beacon, unguessable codes (old short ones still work), the
phone masked, the first name only, and no indexing."""

from __future__ import annotations

import asyncio

import aiohttp
from sqlalchemy import func, select, update

from prilavok.bot import links
from prilavok.storage.models import Delivery, OfferEvent, Task
from tests.bot.conftest import Env, Visitor


async def sent_offer(env: Env) -> Delivery:
    await env.product()
    await env.customers({"name": "Иван Петров", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    return d


async def test_remind_me_later_plans_one_reminder_however_often_pressed(env: Env) -> None:
    d = await sent_offer(env)
    async with Visitor(env.url) as person:
        await person.open(d)
        for _ in range(3):
            assert (await person.post(d, "remind")).status == 200
        answers = await asyncio.gather(*(person.post(d, "remind") for _ in range(5)))
        assert {r.status for r in answers} == {200}
    rows = await env.deliveries()
    assert [(r.attempt, r.state, r.reason) for r in rows] == [
        (1, "read", None),
        (2, "scheduled", "reminder"),
    ]
    # Once the reminder has gone out, a new press may plan the next one.
    env.clock.advance(days=3, hours=1)
    await env.drain()
    async with Visitor(env.url) as person:
        await person.open(rows[1])
        await person.post(rows[1], "remind")
        await person.post(rows[1], "remind")
    assert [r.attempt for r in await env.deliveries()] == [1, 2, 3]


async def test_every_form_and_the_beacon_need_the_page_token(env: Env) -> None:
    d = await sent_offer(env)
    async with Visitor(env.url) as person:
        await person.open(d)
        token = person.csrf
        # Another site's form: the browser may send our cookie (SameSite=Strict forbids even
        # that), but the token is not there, or wrong.
        for csrf in ("", "f" * 64, token[:-1] + ("0" if token[-1] != "0" else "1")):
            person.csrf = csrf
            for action in ("order", "callback", "remind", "seen"):
                r = await person.post(d, action, phone="+79120001122")
                assert r.status == 403, (action, csrf)
    async with aiohttp.ClientSession() as http:  # no cookie at all, the right token
        for action in ("order", "callback", "remind", "seen"):
            r = await http.post(f"{env.url}/m/{d.code}/{action}", data={"csrf": token})
            assert r.status == 403
    async with env.server.deps.sessions() as session:
        pressed = OfferEvent.kind.in_(("open", "order", "callback", "remind"))
        assert await session.scalar(select(func.count()).where(pressed)) == 0
        assert await session.scalar(select(func.count()).select_from(Task)) == 0
    (after,) = await env.deliveries()
    assert (after.state, after.clicked_at) == ("sent", None)


async def test_codes_have_60_bits_and_old_short_codes_still_work(env: Env) -> None:
    d = await sent_offer(env)
    assert len(d.code) == 12 and set(d.code) <= set(links._CODE_ALPHABET)
    assert len(links._CODE_ALPHABET) ** len(d.code) >= 2**60
    async with env.server.deps.write() as session:  # as if sent before the change
        await session.execute(update(Delivery).where(Delivery.id == d.id).values(code="abcd2345"))
    (old,) = await env.deliveries()
    async with Visitor(env.url) as person:
        await person.read(old)
    assert (await env.deliveries())[0].state == "read"


async def test_the_page_masks_the_phone_shows_the_first_name_and_is_not_indexed(
    env: Env,
) -> None:
    d = await sent_offer(env)
    async with aiohttp.ClientSession() as http:
        r = await http.get(f"{env.url}/m/{d.slug}-{d.code}")
        html = await r.text()
        assert r.headers["X-Robots-Tag"].startswith("noindex")
        missing = await http.get(f"{env.url}/m/ivan-zzzzzzzzzzzz")
        assert missing.status == 404 and missing.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in html
    assert "+7 *** ***-**-89" in html
    assert "9123456789" not in html and "912 345" not in html
    assert "Иван" in html and "Петров" not in html
