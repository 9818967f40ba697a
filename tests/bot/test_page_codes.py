"""Wrong personal-page codes are limited per address."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from prilavok.consult.kernel.throttle import Throttle
from prilavok.storage.models import Delivery, OfferEvent
from tests.bot.conftest import Env


async def test_wrong_codes_from_one_address_are_refused_for_a_while(env: Env) -> None:
    env.ctx.deps.throttle = Throttle({"address_page_codes": "3/minute"})
    await env.product()
    await env.customers({"name": "Иван Петров", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    async with aiohttp.ClientSession() as http:
        wrong = [f"/m/ivan-zzzzzzz{i}" for i in range(2)] + ["/m/zzzzzzzz/remind"]
        for path in wrong:
            method = http.post if path.endswith("remind") else http.get
            async with method(f"{env.url}{path}") as r:
                assert r.status == 404
        # Now even the right code waits: guessing gains nothing by going on.
        async with http.get(f"{env.url}/m/{d.slug}-{d.code}") as r:
            assert r.status == 429
            retry = int(r.headers["Retry-After"])
            body = await r.json()
        assert 55 <= retry <= 60
        assert body["error"] == {
            "code": "rate_limited",
            "message": f"too many requests; retry in {retry} s",
            "retry_after": retry,
        }
        async with http.post(f"{env.url}/m/{d.code}/remind") as r:
            assert r.status == 429
    async with env.server.deps.sessions() as session:
        pressed = await session.scalar(
            select(func.count()).where(OfferEvent.kind.in_(("open", "remind")))
        )
        delivery = await session.get(Delivery, d.id)
    assert pressed == 0  # the refused open and press recorded nothing
    assert delivery is not None and delivery.clicked_at is None
