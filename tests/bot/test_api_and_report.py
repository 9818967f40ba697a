"""The REST API refuses bad input whole; consent decides who is planned; templates are
sandboxed; the admin report counts the funnel and the revenue."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from prilavok.bot import api_keys
from prilavok.channels.sms import segments
from prilavok.storage.models import Customer
from tests.bot.conftest import Env, Visitor
from tests.clients import add_operator, login


async def test_the_api_needs_a_key_of_that_shop(env: Env) -> None:
    status, data = await env.call("POST", "/api/v1/customers", {"customers": []}, key="nope")
    assert status == 401 and data["error"]["code"] == "unauthorized"
    other = await api_keys.create(env.server.deps, "shop-2")
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789"})
    status, _ = await env.call("GET", f"/api/v1/customers/{c['id']}", key=other)
    assert status == 404
    item = {"shop_id": "shop-1", "name": "Ольга", "phone": "+79123456780"}
    status, data = await env.call("POST", "/api/v1/customers", {"customers": [item]}, key=other)
    assert status == 403


async def test_a_bad_row_refuses_the_whole_batch(env: Env) -> None:
    good = {"name": "Иван", "phone": "+79123456789"}
    for bad, code in [
        ({"name": "Ольга", "phone": "12345"}, "invalid_phone"),
        ({"name": "Ольга", "phone": "+79123456780", "timezone": "Mars/Olympus"}, "invalid_payload"),
        ({"name": "", "phone": "+79123456780"}, "invalid_payload"),
        (
            {"name": "Ольга", "phone": "+79123456780", "consent": {"pigeon": True}},
            "invalid_payload",
        ),
    ]:
        status, data = await env.call("POST", "/api/v1/customers", {"customers": [good, bad]})
        assert status in (400, 422) and data["error"]["code"] == code, data
    async with env.server.deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_nobody_without_consent_is_sent_anything(env: Env) -> None:
    await env.product()
    await env.customers(
        {"name": "Без согласия", "phone": "+79123456781"},
        {"name": "С согласием", "phone": "+79123456782", "consent": {"sms": True}},
    )
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет"}
    )
    assert status == 201 and data["offer"]["planned"] == 1
    await env.drain()
    assert [m["to"] for m in env.sms.sent] == ["79123456782"]


async def test_templates_are_sandboxed_and_checked(env: Env) -> None:
    await env.product()
    for template in (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.name.__class__ }}",
        "{{ nonexistent }}",
        "{% if %}",
    ):
        status, data = await env.call(
            "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": template}
        )
        assert status == 400 and data["error"]["code"] == "invalid_template", template
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "nope", "template": "Привет"}
    )
    assert status == 400 and data["error"]["code"] == "unknown_sku"


async def test_sms_text_fits_its_segments_and_keeps_the_link(env: Env) -> None:
    await env.product(description="Очень длинное описание. " * 40)
    await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer(template="{{ product.description }}")
    await env.drain()
    (sms,) = env.sms.sent
    assert segments(sms["msg"]) <= 3
    assert sms["msg"].endswith(f"/m/ivan-{(await env.deliveries())[0].code}")
    assert "…" in sms["msg"]


async def test_the_report_counts_the_funnel_and_revenue(env: Env) -> None:
    await env.product()
    a, _ = await env.customers(
        {"name": "Анна", "phone": "+79123456781", "consent": {"sms": True}},
        {"name": "Борис", "phone": "+79123456782", "consent": {"sms": True}},
    )
    await env.link_telegram(a, 8001)
    offer_id = await env.offer()
    await env.drain()
    tg_row = (await env.deliveries(channel="telegram"))[0]
    sms_row = (await env.deliveries(channel="sms"))[0]
    async with Visitor(env.url) as person:
        await person.read(tg_row)
    status, data = await env.call(
        "POST", "/api/v1/orders", {"order_ref": "A-1", "code": tg_row.code, "revenue": "1990.50"}
    )
    assert status == 201, data
    status, _ = await env.call(
        "POST", "/api/v1/orders", {"order_ref": "A-1", "code": tg_row.code, "revenue": "1990.50"}
    )
    assert status == 200  # the same order twice counts once
    status, data = await env.call(
        "POST", "/api/v1/orders", {"order_ref": "A-2", "code": "zzzz", "revenue": "1"}
    )
    assert status == 404
    env.clock.advance(hours=25)
    await env.drain()  # Борис's SMS goes unread

    await add_operator(env.server.deps, "boss", role="admin")
    await add_operator(env.server.deps, "anna")
    url = f"{env.url}/admin/api/offers/report"
    async with aiohttp.ClientSession(cookies={"prilavok_op": await login(env.url, "anna")}) as h:
        assert (await h.get(url)).status == 403
    async with aiohttp.ClientSession() as h:
        assert (await h.get(url)).status == 401
    async with aiohttp.ClientSession(cookies={"prilavok_op": await login(env.url, "boss")}) as h:
        r = await h.get(url, params={"from": "2026-11-01T00:00:00+00:00"})
        report = await r.json()
        assert (await h.get(url, params={"from": "yesterday"})).status == 400
        page = await h.get(f"{env.url}/admin/offers")
        assert page.status == 200 and "offers.js" in await page.text()
    rows = {r["channel"]: r for r in report["rows"]}
    assert rows["telegram"] | {"title": ""} == {
        "offer_id": offer_id,
        "channel": "telegram",
        "title": "",
        "sent": 1,
        "delivered": 1,
        "read": 1,
        "clicked": 1,
        "switched": 0,
        "opted_out": 0,
        "orders": 1,
        "revenue": "1990.50",
    }
    assert rows["telegram"]["title"] == "Чехол к телефону"
    assert (rows["sms"]["sent"], rows["sms"]["read"], rows["sms"]["orders"]) == (1, 0, 0)
    assert report["totals"]["sent"] == 2 and report["totals"]["revenue"] == "1990.50"
    assert sms_row.code != tg_row.code
