"""Every waiting or failed delivery says why, as a machine-readable reason: in the offer's
summary, in the admin report, in the customer's history, and in the answer to creating an
offer that nobody can receive."""

from __future__ import annotations

import aiohttp

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
