"""Renewals end to end, through the REST API on the fake clock: a licence's event, the
reminder 7 days before its end and on the day, the prefilled link opening the shop's
checkout — a test server that checks the signature by the scheme docs/journeys.md gives the
shop, written here from that text — and the renewal the shop reports closing the journey
with its revenue. Also 1C's CSV export, a licence reported late, and no secret set."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from devkit.fakes.base import free_port
from prilavok.bot import journey_reports
from prilavok.storage.models import Journey, JourneyRun, JourneyTimer
from tests.bot.conftest import BROWSER_AGENT, Env

PHONE, CHAT = "+79123456789", 7401
SECRET = "checkout-secret-of-the-shop-0123"
ENDS = date(2026, 12, 3)  # ten days after the fake clock's start (2026-11-23, noon in Moscow)
_ids = count(1)
BROWSER = {"User-Agent": BROWSER_AGENT}


class Checkout:
    """The shop's checkout: trusts a link only when its `sig` is the HMAC-SHA256 of the
    canonical query (every other parameter, RFC 3986-encoded, sorted, joined by &)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/checkout"
        self.seen: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        pairs = parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True)
        given = dict(pairs).get("sig", "")
        enc = sorted((quote(n, safe="-_.~"), quote(v, safe="-_.~")) for n, v in pairs if n != "sig")
        message = "&".join(f"{n}={v}" for n, v in enc).encode()
        expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"trusted": False}, status=403)
        self.seen.append(dict(pairs))
        return web.json_response({"trusted": True, **dict(pairs)})

    async def __aenter__(self) -> Checkout:
        app = web.Application()
        app.router.add_get("/checkout", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


@pytest.fixture
async def checkout() -> AsyncIterator[Checkout]:
    async with Checkout() as shop:
        yield shop


async def send(env: Env, kind: str, **body: Any) -> None:
    event = {"id": f"r{next(_ids)}", "type": kind, "customer": {"id": "c-1"}, **body}
    status, data = await env.call("POST", "/api/v1/events", {"events": [event]})
    assert status == 201, data


def licence(ends: date = ENDS, **extra: Any) -> dict[str, Any]:
    return {"id": "KIS-77", "sku": "kis-1y", "title": "Антивирус на год", "term": "1 год",
            "ends_on": ends.isoformat(), **extra}  # fmt: skip


async def renewal_ready(env: Env, checkout_url: str, *, secret: str | None = SECRET) -> None:
    (c,) = await env.customers(
        {"name": "Мария Петрова", "phone": PHONE, "external_id": "c-1",
         "consent": {"telegram": True}}
    )  # fmt: skip
    await env.link_telegram(c, CHAT)
    if secret is not None:
        status, data = await env.call("PUT", "/api/v1/checkout-secret", {"secret": secret})
        assert status == 200, data
    await send(env, "customer.identified")  # the shop's journeys are made
    async with env.server.deps.write() as session:
        journey = await session.scalar(select(Journey).where(Journey.key == "renewal"))
        assert journey is not None
        url = checkout_url + "?product={sku}&term={term}&name={name}&phone={phone}&order={code}"
        journey.definition = {**journey.definition, "checkout_url": url}
        journey.holdout_percent = 0


def texts(env: Env) -> list[str]:
    return [m["text"] for m in env.tg.messages_to(CHAT) if not m["text"].startswith("Готово")]


def moscow(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=3)


async def runs(env: Env) -> list[JourneyRun]:
    async with env.server.deps.sessions() as session:
        return list(await session.scalars(select(JourneyRun).order_by(JourneyRun.id)))


async def test_a_licence_is_reminded_twice_opens_a_signed_checkout_and_renews(
    env: Env, checkout: Checkout
) -> None:
    await renewal_ready(env, checkout.url)
    await send(env, "licence.updated", licence=licence())
    week_before = moscow(ENDS - timedelta(days=7), 11)
    env.clock.t = week_before - timedelta(minutes=1)
    await env.drain()
    assert texts(env) == []  # not a minute early, in the customer's zone
    env.clock.t = week_before
    await env.drain()
    (first,) = texts(env)
    assert "«Антивирус на год» действует до 03.12.2026" in first
    link = first.split()[-1]
    assert link.startswith("https://shop.example/r/")

    async with aiohttp.ClientSession() as http:
        path = link.removeprefix("https://shop.example")
        # A link checker's fetch (aiohttp's own agent is a robot's) records nothing.
        assert (await http.get(env.url + path, allow_redirects=False)).status == 302
        (sent,) = await env.deliveries(run_id=(await runs(env))[0].id)
        assert sent.clicked_at is None
        r = await http.get(env.url + path, allow_redirects=False, headers=BROWSER)
        assert r.status == 302
        target = r.headers["Location"]
        assert target.startswith(checkout.url + "?")
        answer = await (await http.get(target)).json()
        assert answer["trusted"] is True
        assert (answer["product"], answer["term"]) == ("kis-1y", "1 год")
        assert (answer["name"], answer["phone"]) == ("Мария Петрова", PHONE)
        assert answer["order"] == path.rsplit("/", 1)[1]  # our code, for the order's report
        # Anybody changing a value (a cheaper term, another phone) is refused by the shop.
        forged = target.replace(quote("1 год", safe=""), quote("1 день", safe=""))
        assert forged != target
        assert (await http.get(forged)).status == 403
        # A code that names nothing opens nothing.
        assert (await http.get(env.url + "/r/zzzzzzzzzzzz", allow_redirects=False)).status == 404
    (sent,) = await env.deliveries(run_id=(await runs(env))[0].id)
    assert sent.clicked_at == week_before and sent.read_at == week_before

    on_the_day = moscow(ENDS, 11)
    env.clock.t = on_the_day - timedelta(minutes=1)
    await env.drain()
    assert len(texts(env)) == 1
    env.clock.t = on_the_day
    await env.drain()
    assert "сегодня заканчивается «Антивирус на год»" in texts(env)[1]

    # The shop reports the renewal: the journey closes with its revenue, the new term enters.
    new_end = ENDS + timedelta(days=365)
    await send(env, "licence.renewed", licence=licence(new_end),
               order={"id": "R-1", "total": 2990})  # fmt: skip
    old, new = await runs(env)
    assert (old.state, old.exit_reason, float(old.revenue)) == ("done", "renewed", 2990)
    assert old.ordered_at == on_the_day
    assert (new.state, new.trigger_key) == ("active", f"licence:KIS-77:{new_end.isoformat()}")
    async with env.server.deps.sessions() as session:
        timer = await session.scalar(select(JourneyTimer).where(JourneyTimer.run_id == new.id))
        report = await journey_reports.report(session)
    assert timer is not None and timer.due_at <= moscow(new_end - timedelta(days=7), 11)
    (renewal,) = [r for r in report if r["key"] == "renewal"]
    assert (renewal["entered"], renewal["ordered"], renewal["revenue"]) == (2, 1, 2990.0)
    assert renewal["steps"][0]["clicked"] == 1


async def test_a_renewal_before_the_last_day_stops_the_second_reminder(
    env: Env, checkout: Checkout
) -> None:
    await renewal_ready(env, checkout.url)
    await send(env, "licence.updated", licence=licence())
    env.clock.t = moscow(ENDS - timedelta(days=7), 11)
    await env.drain()
    assert len(texts(env)) == 1
    env.clock.advance(days=2)
    await send(env, "licence.renewed", licence=licence(ENDS + timedelta(days=365)),
               order={"id": "R-2", "total": 2990})  # fmt: skip
    env.clock.t = moscow(ENDS, 12)
    await env.drain()
    assert len(texts(env)) == 1
    assert [r.exit_reason for r in await runs(env)] == ["renewed", None]


async def test_a_licence_reported_late_skips_the_past_reminder(
    env: Env, checkout: Checkout
) -> None:
    await renewal_ready(env, checkout.url)
    soon = date(2026, 11, 26)  # three days away: the week-before moment has passed
    await send(env, "licence.updated", licence=licence(soon))
    await env.drain()
    assert texts(env) == []
    env.clock.t = moscow(soon, 11)
    await env.drain()
    (only,) = texts(env)
    assert "сегодня заканчивается" in only


async def test_1c_csv_export_enters_licences_and_a_bad_row_refuses_the_file(
    env: Env, checkout: Checkout
) -> None:
    await renewal_ready(env, checkout.url)
    good = (
        "Лицензия;Клиент;Телефон;Имя;Артикул;Наименование;Срок;Дата окончания\n"
        "KIS-77;c-1;;;kis-1y;Антивирус на год;1 год;03.12.2026\n"
        "KIS-78;;+79990001122;Олег;kis-2y;Антивирус на 2 года;2 года;2027-01-15\n"
    ).encode("cp1251")
    bad = good + "KIS-79;c-1;;;kis-1y;Антивирус;1 год;31.02.2027\n".encode("cp1251")
    headers = {"Authorization": f"Bearer {env.key}", "Content-Type": "text/csv"}
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{env.url}/api/v1/licences/csv", data=bad, headers=headers)
        assert r.status == 400
        assert "line 4" in (await r.json())["error"]["message"]
        assert [x for x in await runs(env) if x.trigger_key.startswith("licence:")] == []
        r = await http.post(f"{env.url}/api/v1/licences/csv", data=good, headers=headers)
        assert (r.status, await r.json()) == (201, {"imported": {"events": 2, "new": 2,
                                                                 "duplicate": 0}})  # fmt: skip
        again = await http.post(f"{env.url}/api/v1/licences/csv", data=good, headers=headers)
        assert (await again.json())["imported"]["duplicate"] == 2
    keys = sorted(x.trigger_key for x in await runs(env))
    assert keys == ["licence:KIS-77:2026-12-03", "licence:KIS-78:2027-01-15"]
    env.clock.t = moscow(ENDS - timedelta(days=7), 11)
    await env.drain()
    assert "Антивирус на год" in texts(env)[0]


async def test_without_the_shops_secret_the_link_opens_nothing(
    env: Env, checkout: Checkout
) -> None:
    await renewal_ready(env, checkout.url, secret=None)
    await send(env, "licence.updated", licence=licence())
    env.clock.t = moscow(ENDS - timedelta(days=7), 11)
    await env.drain()
    link = texts(env)[0].split()[-1]
    async with aiohttp.ClientSession() as http:
        path = link.removeprefix("https://shop.example")
        r = await http.get(env.url + path, allow_redirects=False)
        assert r.status == 404 and "не настроено" in await r.text()
    status, data = await env.call("PUT", "/api/v1/checkout-secret", {"secret": "short"})
    assert status == 400 and data["error"]["code"] == "invalid_payload"
