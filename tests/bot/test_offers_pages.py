"""Out-of-stock goods are never offered; the personal page records presses and shows
customer text as text."""

from __future__ import annotations

from sqlalchemy import select

from prilavok.storage.models import Delivery, OfferEvent, Task
from tests.bot.conftest import Env, Visitor


async def sms_customer(env: Env, name: str = "Иван Петров") -> dict:
    (c,) = await env.customers({"name": name, "phone": "+79123456789", "consent": {"sms": True}})
    return c


async def test_an_out_of_stock_product_is_not_offered_until_it_is_back(env: Env) -> None:
    await env.product("charger", stock=0, title="Зарядка")
    await sms_customer(env)
    await env.offer("charger")
    await env.drain()
    assert env.sms.sent == []
    (d,) = await env.deliveries()
    assert (d.state, d.reason) == ("scheduled", "out_of_stock")

    env.clock.advance(hours=2)  # rechecked, still out of stock
    await env.drain()
    assert env.sms.sent == []

    await env.product("charger", stock=3, title="Зарядка")  # restocked: wakes the offer
    await env.drain()
    (sms,) = env.sms.sent
    assert "Зарядка" in sms["msg"]


async def test_the_analogue_the_shop_named_is_offered_instead(env: Env) -> None:
    await env.product("glass-b", stock=4, title="Стекло Б", description="Закалённое")
    await env.product("glass-a", stock=0, title="Стекло А", analogue_sku="glass-b")
    await sms_customer(env)
    await env.offer("glass-a")
    await env.drain()
    (sms,) = env.sms.sent
    assert "Стекло Б" in sms["msg"] and "Стекло А" not in sms["msg"]
    (d,) = await env.deliveries()
    assert d.sku == "glass-b"


async def test_the_personal_page_records_presses_and_escapes_names(env: Env) -> None:
    await env.product(
        photo_url="https://cdn.example/case.jpg", description="Противоударный", price="990.00"
    )
    await sms_customer(env, name="<b>Иван</b> Петров")
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    assert d.slug == "b-ivan-b-petrov"
    async with Visitor(env.url) as person:
        html = await person.open(d)
        assert "&lt;b&gt;Иван&lt;/b&gt;" in html and "<b>Иван" not in html
        assert 'src="https://cdn.example/case.jpg"' in html and "990 ₽" in html

        # Another name in the address still finds the offer, at its own address.
        r = await person.http.get(f"{env.url}/m/someone-{d.code}", allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == f"/m/{d.slug}-{d.code}"
        r = await person.http.get(f"{env.url}/m/ivan-zzzzzzzz")
        assert r.status == 404

        assert (await person.post(d, "remind")).status == 200
        r = await person.post(d, "callback", phone="12")
        html = await r.text()  # in the page's language, not the server's English message
        assert r.status == 400 and "Не получилось: проверьте номер телефона" in html
        assert "phone number" not in html
        r = await person.post(d, "callback", phone="8 912 000 11 22")
        assert r.status == 200

    first, reminder = await env.deliveries()
    assert first.state == "read" and first.clicked_at is not None
    assert reminder.attempt == 2 and reminder.state == "scheduled"
    assert reminder.reason == "reminder"
    assert (reminder.not_before - env.clock.now()).days == 3
    async with env.server.deps.sessions() as session:
        kinds = list(await session.scalars(select(OfferEvent.kind).order_by(OfferEvent.id)))
        (task,) = list(await session.scalars(select(Task)))
    assert ["remind", "callback"] == [k for k in kinds if k in ("open", "remind", "callback")]
    assert (task.source, task.phone) == ("offer_page", "+79120001122")
    assert task.page_url == f"https://shop.example/m/{d.slug}-{d.code}"
    assert env.tg.messages_to(-1001)  # the staff chat heard of it


async def test_order_goes_to_the_shop_with_the_code(env: Env) -> None:
    await env.product(product_url="https://shop.example/p/case-1")
    await sms_customer(env)
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    async with Visitor(env.url) as person:
        await person.open(d)
        r = await person.post(d, "order")
    assert r.status == 303
    assert r.headers["Location"] == f"https://shop.example/p/case-1?offer={d.code}"
    async with env.server.deps.sessions() as session:
        assert await session.scalar(
            select(OfferEvent.kind).where(
                OfferEvent.kind == "order", OfferEvent.delivery_id == d.id
            )
        )
        assert (await session.get(Delivery, d.id)) is not None
