"""Journey reports (entered, sent, ordered, revenue, uplift against the holdout with a 95%
interval, cost from channel prices), a customer's timeline, the admin's edits, and the
widget's cart entering the abandoned-cart journey."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from prilavok.bot import journey_entry, journey_reports
from prilavok.consult.visitors.shopping import identity_hash
from prilavok.storage.models import Journey, JourneyRun
from tests.bot.conftest import WIDGET_SECRET, Env
from tests.clients import add_operator, login, visitor


def test_uplift_and_its_interval() -> None:
    u = journey_reports.uplift(1000, 150, 1000, 100)
    assert u is not None
    assert u["uplift"] == pytest.approx(0.05)
    # sqrt(.15*.85/1000 + .1*.9/1000) = 0.014748 -> ±0.028906
    assert u["ci_low"] == pytest.approx(0.05 - 0.028906, abs=1e-5)
    assert u["ci_high"] == pytest.approx(0.05 + 0.028906, abs=1e-5)
    assert journey_reports.uplift(10, 1, 0, 0) is None


async def admin_session(env: Env) -> aiohttp.ClientSession:
    await add_operator(env.server.deps, "boss", role="admin")
    cookie = await login(env.url, "boss")
    http = aiohttp.ClientSession(cookies={"prilavok_op": cookie})
    me = await (await http.get(f"{env.url}/console/api/me")).json()
    http.headers["X-CSRF-Token"] = me["csrf_token"]
    return http


def cart_event(n: int, customer: str) -> dict[str, Any]:
    return {
        "id": f"cart-{n}",
        "type": "cart.changed",
        "customer": {"id": customer, "phone": f"+7900000{n:04d}", "name": f"Покупатель {n}"},
        "cart": {"id": f"c{n}", "items": [{"sku": "a", "price": 100}], "total": 100},
    }


async def test_report_per_journey_and_step_with_holdout_and_cost(env: Env) -> None:
    http = await admin_session(env)
    try:
        listed = await (await http.get(f"{env.url}/admin/api/journeys")).json()
        cart = next(j for j in listed["journeys"] if j["key"] == "abandoned_cart")
        edit = {k: cart[k] for k in ("name", "enabled", "purpose", "definition")}
        r = await http.put(
            f"{env.url}/admin/api/journeys/{cart['id']}", json={**edit, "holdout_percent": 50}
        )
        assert r.status == 200
        bad = {**edit, "holdout_percent": 80}
        r = await http.put(f"{env.url}/admin/api/journeys/{cart['id']}", json=bad)
        assert r.status == 400
        r = await http.put(f"{env.url}/admin/api/channel-prices", json={"sms": 3.5})
        assert r.status == 200

        # 40 carts; every customer said yes to SMS marketing.
        events = [cart_event(n, f"k{n}") for n in range(40)]
        status, _ = await env.call("POST", "/api/v1/events", {"events": events})
        assert status == 201
        await env.customers(*[
            {"name": f"Покупатель {n}", "phone": f"+7900000{n:04d}", "consent": {"sms": True}}
            for n in range(40)
        ])  # fmt: skip
        env.clock.advance(minutes=16)
        await env.drain()
        async with env.server.deps.sessions() as session:
            runs = list(await session.scalars(select(JourneyRun).order_by(JourneyRun.id)))
        control = [r for r in runs if r.group == "control"]
        expected = [
            r for r in runs if journey_entry.in_control(r.journey_id, r.customer_id,
                                                        r.trigger_key, 50)
        ]  # fmt: skip
        assert control == expected and 0 < len(control) < 40
        treated = [r for r in runs if r.group == "treated"]
        assert len(env.sms.sent) == len(treated)  # the holdout got nothing

        # Two treated customers and one held out buy.
        buyers = [treated[0], treated[1], control[0]]
        purchases = [
            {"id": f"buy-{r.id}", "type": "purchase", "customer": {"phone": f"+7900000{n:04d}"},
             "order": {"id": f"o{r.id}", "total": 1000}}
            for r in buyers
            for n in [int(r.trigger_key.removeprefix("cart:c"))]
        ]  # fmt: skip
        env.clock.advance(minutes=5)
        assert (await env.call("POST", "/api/v1/events", {"events": purchases}))[0] == 201

        listed = await (await http.get(f"{env.url}/admin/api/journeys")).json()
        report = next(j for j in listed["journeys"] if j["key"] == "abandoned_cart")["report"]
        assert (report["entered"], report["held_out"]) == (40, len(control))
        assert (report["ordered"], report["revenue"]) == (2, 2000.0)
        (step,) = report["steps"]
        assert step["sent"] == {"sms": len(treated)} and step["ordered"] == 2
        assert report["cost"] == pytest.approx(3.5 * len(treated))
        assert report["revenue_per_ruble"] == pytest.approx(2000 / (3.5 * len(treated)))
        u = report["uplift"]
        assert u["rate_treated"] == pytest.approx(2 / len(treated))
        assert u["rate_control"] == pytest.approx(1 / len(control))
        assert u["ci_low"] < u["uplift"] < u["ci_high"]

        # The timeline of a buyer: the journey, its step, the message and the order.
        r = await http.get(f"{env.url}/admin/api/customers/{treated[0].customer_id}/timeline")
        line = (await r.json())["journeys"]
        assert [(j["journey"], j["state"], j["exit_reason"]) for j in line] == [
            ("Брошенная корзина", "exited", "purchase")
        ]
        assert [(m["step"], m["channel"], m["state"]) for m in line[0]["messages"]] == [
            (0, "sms", "sent")
        ]
        assert line[0]["ordered_at"] is not None
    finally:
        await http.close()


async def test_the_widgets_cart_enters_the_abandoned_cart_journey(shop_env: Env) -> None:
    env = shop_env
    (c,) = await env.customers(
        {"name": "Мария", "phone": "+79123456789", "external_id": "cust-7",
         "consent": {"telegram": True}}
    )  # fmt: skip
    await env.link_telegram(c, 7500)
    v = await visitor(env.url)
    try:
        signed = identity_hash(WIDGET_SECRET, "cust-7")
        assert (await v.call("identify", {"id": "cust-7", "name": "Мария", "hash": signed}))["ok"]
        assert (await v.call("cart", {"items": [{"id": "sku-1", "price": 990}]}))["ok"]
    finally:
        await v.close()
    async with env.server.deps.write() as session:
        for j in await session.scalars(select(Journey)):
            j.holdout_percent = 0
        (run,) = await session.scalars(select(JourneyRun))
        run.group = "treated"
    env.clock.advance(minutes=14)
    await env.drain()
    assert [m for m in env.tg.messages_to(7500) if "корзин" in m["text"]] == []
    env.clock.advance(minutes=2)
    await env.drain()
    (sent,) = [m for m in env.tg.messages_to(7500) if "корзин" in m["text"]]
    assert "990" in sent["text"]
