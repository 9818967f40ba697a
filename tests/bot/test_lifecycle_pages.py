"""A calendar offer's personal page: the product with its photo, order, call-back and
"remind me later", goods that match it (in stock, of its category, none already bought),
and a rating of the last purchase — a low one reaching the staff chat; the customer's name
in the address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from prilavok.bot import calendar_defs, calendar_plan
from prilavok.storage.models import CalendarRule, OfferEvent
from tests.bot.conftest import SHOP, Env, Visitor

PHONE = "+79123456789"


async def test_the_calendar_offers_page_carries_its_blocks_and_a_rating(env: Env) -> None:
    await env.customers({"name": "Сергей Иванов", "phone": PHONE, "external_id": "c-1",
                         "consent": {"sms": True}})  # fmt: skip
    goods = [("case-1", "Чехол", 990, 5), ("case-2", "Чехол-книжка", 1290, 5),
             ("case-3", "Чехол кожаный", 2490, 0), ("case-4", "Бампер", 690, 5)]  # fmt: skip
    for sku, title, price, stock in goods:
        await env.product(sku, title=title, price=price, stock=stock, category="cases",
                          photo_url=f"https://shop.example/i/{sku}.jpg",
                          product_url=f"https://shop.example/p/{sku}")  # fmt: skip
    text = "Для «{{ bought.title }}»: {{ product.title }}"
    spec = calendar_defs.parse({"shop_id": SHOP, "name": "Чехол", "kind": "accessory",
                                "category": "phones", "offer_category": "cases",
                                "delay_days": 30, "holdout_percent": 0,
                                "template": text})  # fmt: skip
    async with env.server.deps.write() as session:
        row = CalendarRule(updated_at=env.clock.now())
        calendar_defs.apply(row, spec)
        session.add(row)
    items = [
        {"sku": "phone-1", "name": "Смартфон «Нева 12»", "price": 15990, "category": "phones"},
        {"sku": "case-4", "price": 690, "category": "cases"},
    ]
    event = {"id": "p1", "type": "purchase", "customer": {"id": "c-1"},
             "order": {"id": "o1", "total": 16680, "items": items}}  # fmt: skip
    assert (await env.call("POST", "/api/v1/events", {"events": [event]}))[0] == 201
    env.clock.advance(days=30)
    assert (await calendar_plan.plan(env.ctx, SHOP)).planned == 1
    await env.drain()
    (d,) = await env.deliveries()
    assert d.slug == "sergei-ivanov" and d.sku == "case-1"  # the bumper was bought already

    async with Visitor(env.url) as browser:
        html = await browser.open(d)
        assert "<h1>Чехол</h1>" in html and 'src="https://shop.example/i/case-1.jpg"' in html
        for action in ("order", "callback", "remind", "rate"):
            assert f'action="/m/{d.code}/{action}"' in html
        matching = html.split('data-block="matching"', 1)[1].split("</section>", 1)[0]
        assert "Чехол-книжка" in matching
        # Not the one offered, not one out of stock, not one bought.
        assert ">Чехол<" not in matching and "Чехол кожаный" not in matching
        assert "Бампер" not in matching
        assert "Как вам покупка «Смартфон «Нева 12»»" in html  # the last order's dearest item
        r = await browser.post(d, "rate", score="7")
        assert r.status == 400
        r = await browser.post(d, "rate", score="2")
        assert r.status == 200
        again = await browser.open(d)
        assert "Ваша оценка: 2 из 5" in again and f'action="/m/{d.code}/rate"' not in again
        await browser.post(d, "rate", score="5")  # once a page: the first one stays
    async with env.server.deps.sessions() as session:
        ratings = list(
            await session.scalars(select(OfferEvent.detail).where(OfferEvent.kind == "rating"))
        )
    assert ratings == ["2"]
    # "Remind me later": three days on, the same good again, with the purchase it follows.
    async with Visitor(env.url) as browser:
        await browser.open(d)
        assert (await browser.post(d, "remind")).status == 200
    env.clock.advance(days=3)
    await env.drain()
    _, second = await env.deliveries()
    assert (second.attempt, second.sku, second.state) == (2, "case-1", "sent")
    texts = [m["msg"] for m in env.sms.messages_to(PHONE)]
    assert len(texts) == 2 and texts[1].startswith("Для «Смартфон «Нева 12»»: Чехол")
    staff = [m["text"] for m in env.tg.messages_to(-1001)]
    assert staff == [f"Низкая оценка обслуживания: 2 из 5 — Сергей Иванов, {PHONE}"]
    assert env.clock.now() - timedelta(days=30) > d.created_at - timedelta(days=31)
