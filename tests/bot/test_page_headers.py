"""The personal offer page carries its Content-Security-Policy and never leaks its code."""

from __future__ import annotations

import aiohttp

from prilavok.headers import CUSTOMER_CSP
from tests.bot.conftest import Env


async def test_the_personal_page_has_a_csp_and_no_referrer(env: Env) -> None:
    await env.product(photo_url="https://cdn.example/case.jpg")
    await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    async with aiohttp.ClientSession() as http:
        r = await http.get(f"{env.url}/m/{d.slug}-{d.code}")
        assert r.status == 200
        assert r.headers["Content-Security-Policy"] == CUSTOMER_CSP
        assert (
            "frame-ancestors 'none'" in CUSTOMER_CSP
            and "img-src 'self' data: https:" in CUSTOMER_CSP
        )
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["Server"] == "Prilavok"
