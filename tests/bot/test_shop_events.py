"""Events in: POST /api/v1/events, idempotent by the shop's event id; the widget's
signed identities feed the same stream; consent by purpose."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from devkit.fakes.telegram import update_message
from prilavok.bot import purposes
from prilavok.bot.purposes import Purpose
from prilavok.consult.visitors.shopping import identity_hash
from prilavok.storage.models import Customer, ShopEvent
from tests.bot.conftest import SHOP, WIDGET_SECRET, Env
from tests.clients import visitor

PHONE = "+79123456789"


def status_event(n: int, status: str = "confirmed", **order: Any) -> dict[str, Any]:
    return {
        "id": f"ev-{n}",
        "type": "order.status_changed",
        "customer": {"id": "c-1", "phone": PHONE, "name": "Мария Петрова"},
        "order": {"id": "12465", "status": status, "total": 8450, **order},
    }


async def stored(env: Env) -> list[ShopEvent]:
    async with env.server.deps.sessions() as session:
        return list(await session.scalars(select(ShopEvent).order_by(ShopEvent.id)))


async def test_an_event_is_stored_once_by_the_shops_id(env: Env) -> None:
    status, data = await env.call("POST", "/api/v1/events", {"events": [status_event(1)]})
    assert status == 201, data
    assert data["events"] == [{"id": "ev-1", "status": "new"}]
    again = status_event(1, status="delivered")  # same id: the same event, whatever it says
    status, data = await env.call("POST", "/api/v1/events", {"events": [again, status_event(2)]})
    assert status == 201
    assert data["events"] == [
        {"id": "ev-1", "status": "duplicate"},
        {"id": "ev-2", "status": "new"},
    ]
    status, data = await env.call("POST", "/api/v1/events", {"events": [status_event(2)]})
    assert (status, data["events"][0]["status"]) == (200, "duplicate")
    rows = await stored(env)
    assert [(r.event_id, r.data["order"]["status"]) for r in rows] == [
        ("ev-1", "confirmed"),
        ("ev-2", "confirmed"),
    ]
    assert rows[0].subject == "order:12465" and rows[0].source == "api"
    # The event named a new buyer by phone and name: they are a customer now, with no
    # marketing consent, and their shop id is remembered.
    async with env.server.deps.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.phone == PHONE))
    assert customer is not None and rows[0].customer_id == customer.id
    assert customer.external_id == "c-1"
    assert not (customer.consent_sms or customer.consent_telegram or customer.consent_viber)


async def test_one_bad_event_refuses_the_batch(env: Env) -> None:
    bad_cases = [
        {"id": "x", "type": "order.status_changed", "customer": {"id": "c"}, "order": {"id": "1"}},
        {"id": "x", "type": "order.shipped", "customer": {"id": "c"}},
        {"id": "x", "type": "purchase", "customer": {}, "order": {"id": "1", "total": 5}},
        {"id": "x", "type": "cart.changed", "customer": {"id": "c"}},
        {"id": "x", "type": "purchase", "customer": {"id": "c"}, "order": {"id": "1"}},
        {"id": "x", "type": "product.viewed", "customer": {"phone": "12"}, "product": {"sku": "a"}},
        {
            "id": "x",
            "type": "customer.identified",
            "customer": {"id": "c"},
            "at": "2026-01-01T10:00",
        },
    ]
    for bad in bad_cases:
        status, data = await env.call("POST", "/api/v1/events", {"events": [status_event(1), bad]})
        assert status == 400, (bad, data)
        assert data["error"]["code"] == "invalid_payload", data
    status, data = await env.call("POST", "/api/v1/events", {"events": []})
    assert status == 400
    status, _ = await env.call("POST", "/api/v1/events", {"events": [status_event(1)]}, key="bad")
    assert status == 401
    assert await stored(env) == []


async def test_events_find_the_customer_by_the_shops_id_or_phone(env: Env) -> None:
    (known,) = await env.customers({"name": "Иван", "phone": PHONE, "consent": {"sms": True}})
    views = [
        {"id": "v1", "type": "product.viewed", "customer": {"id": "ext-9"},
         "product": {"sku": "a"}},
        {
            "id": "i1",
            "type": "customer.identified",
            "customer": {"id": "ext-9", "phone": "8 (912) 345-67-89"},
        },
        {"id": "v2", "type": "product.viewed", "customer": {"id": "ext-9"},
         "product": {"sku": "b"}},
        {"id": "p1", "type": "purchase", "customer": {"id": "ext-9"},
         "order": {"id": "1c-77", "total": 990, "offline": True}},
    ]  # fmt: skip
    status, _ = await env.call("POST", "/api/v1/events", {"events": views})
    assert status == 201
    rows = await stored(env)
    # The first view came before anyone said who ext-9 is; after, all are Иван's.
    assert [r.customer_id for r in rows] == [None, known["id"], known["id"], known["id"]]
    status, data = await env.call("GET", f"/api/v1/customers/{known['id']}")
    assert data["customer"]["external_id"] == "ext-9"
    assert rows[3].data["order"]["offline"] is True


async def test_marketing_and_service_consent_are_apart(env: Env) -> None:
    (c,) = await env.customers({"name": "Иван", "phone": PHONE, "consent": {"sms": True}})
    await env.link_telegram(c, 7300)
    customer = await env.customer(c["id"])
    assert purposes.pick(customer, Purpose.MARKETING) == "telegram"
    assert purposes.pick(customer, Purpose.SERVICE) == "telegram"

    # A stop in Telegram: no marketing anywhere, and order status still goes.
    assert await env.telegram_update(update_message(env.next_update_id(), 7300, "/stop")) == 200
    customer = await env.customer(c["id"])
    assert purposes.pick(customer, Purpose.MARKETING) is None
    assert purposes.pick(customer, Purpose.SERVICE) == "telegram"

    # A customer who never consented to marketing still gets service messages by SMS.
    (other,) = await env.customers({"name": "Анна", "phone": "+79000000001"})
    customer = await env.customer(other["id"])
    assert purposes.pick(customer, Purpose.MARKETING) is None
    assert purposes.pick(customer, Purpose.SERVICE) == "sms"

    # Refusing service messages is recorded apart and leaves marketing consent alone.
    (after,) = await env.customers(
        {"name": "Анна", "phone": "+79000000001", "consent": {"sms": True}, "service": False}
    )
    assert after["service"] is False and after["consent"]["sms"] is True
    customer = await env.customer(other["id"])
    assert purposes.pick(customer, Purpose.SERVICE) is None
    assert purposes.pick(customer, Purpose.MARKETING) == "sms"
    _, data = await env.call("GET", f"/api/v1/customers/{other['id']}")
    kinds = [(h["kind"], h["detail"]) for h in data["customer"]["history"]]
    assert ("opt_out", "service (api)") in kinds


async def test_the_widget_feeds_signed_customers_carts_and_purchases(shop_env: Env) -> None:
    env = shop_env
    await env.customers({"name": "Мария", "phone": PHONE, "external_id": "cust-7"})
    signed = identity_hash(WIDGET_SECRET, "cust-7")
    anonymous = await visitor(env.url)
    await anonymous.call("cart", {"items": [{"id": "sku-0", "price": 10}]})
    v = await visitor(env.url)
    try:
        assert (await v.call("identify", {"id": "cust-7", "name": "Мария", "hash": signed}))["ok"]
        cart = {"items": [{"id": "sku-1", "name": "Чехол", "price": 990, "category": "cases"}]}
        assert (await v.call("cart", cart))["ok"]
        assert (await v.call("cart", cart))["ok"]  # the same cart again is the same event
        bought = {"order_id": "W-1", "total": 990, "items": cart["items"]}
        assert (await v.call("purchase", bought))["ok"]
    finally:
        await v.close()
        await anonymous.close()
    rows = await stored(env)
    assert [(r.type, r.source) for r in rows] == [
        ("customer.identified", "widget"),
        ("cart.changed", "widget"),
        ("purchase", "widget"),
    ]
    assert {r.customer_id for r in rows} == {(await env.customers(
        {"name": "Мария", "phone": PHONE}))[0]["id"]}  # fmt: skip
    assert rows[1].data["cart"]["items"][0]["sku"] == "sku-1"
    assert rows[2].subject == "order:W-1" and rows[2].data["order"]["total"] == 990
    async with env.server.deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ShopEvent)) == 3
    assert SHOP == rows[0].shop_id


async def test_the_same_events_sent_at_once_are_stored_once(env: Env) -> None:
    """Two requests racing with the same events (a client's retry on another process): each
    event and each journey run once, and both requests answered."""
    import asyncio

    batch = {"events": [status_event(n, "received") for n in range(1, 30)]}
    answers = await asyncio.gather(*(env.call("POST", "/api/v1/events", batch) for _ in range(4)))
    assert all(status in (200, 201) for status, _ in answers), answers
    assert len(await stored(env)) == 29
