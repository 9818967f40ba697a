"""The offer calendar on the fake clock: a customer's three purchases over two years (a
phone, a case ten days later, a phone given as a present a year after), the rules an admin
set (a case and a screen glass for phones of that price band, the newer model after the
phone's lifetime, a call about a gift), planned pass by pass as the clock moves forward —
never a good out of stock (its analogue instead), never one already bought, at most one
offer a period, nothing planned twice."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from itertools import count
from typing import Any

import aiohttp
from sqlalchemy import select

from prilavok.bot import calendar_defs, calendar_plan, calendar_reports, signals
from prilavok.storage.models import CalendarPlan, CalendarRule, PurchaseLine, Task
from tests.bot.conftest import SHOP, Env

PHONE, CHAT = "+79123456789", 7402
_ids = count(1)


async def buy(env: Env, *items: dict[str, Any], **order: Any) -> None:
    event = {"id": f"p{next(_ids)}", "type": "purchase", "customer": {"id": "c-1"},
             "order": {"id": f"o{next(_ids)}", "total": sum(i["price"] for i in items),
                       "items": list(items), **order}}  # fmt: skip
    status, data = await env.call("POST", "/api/v1/events", {"events": [event]})
    assert status == 201, data


async def rule(env: Env, **body: Any) -> int:
    spec = calendar_defs.parse({"shop_id": SHOP, "holdout_percent": 0, **body})
    async with env.server.deps.write() as session:
        row = CalendarRule(updated_at=env.clock.now())
        calendar_defs.apply(row, spec)
        session.add(row)
        await session.flush()
        return row.id


def texts(env: Env) -> list[str]:
    """Each message's text without its last line, the personal page's link."""
    sent = [m["text"] for m in env.tg.messages_to(CHAT) if not m["text"].startswith("Готово")]
    for text in sent:
        assert "https://shop.example/m/sergei-ivanov-" in text
    return [t.rsplit("\n", 1)[0] for t in sent]


async def plans(env: Env) -> list[CalendarPlan]:
    async with env.server.deps.sessions() as session:
        return list(await session.scalars(select(CalendarPlan).order_by(CalendarPlan.id)))


async def test_three_purchases_over_two_years_planned_as_the_clock_moves(env: Env) -> None:
    start = env.clock.now()
    env.clock.t = start - timedelta(days=730)  # two years back, at noon in Moscow
    (c,) = await env.customers(
        {"name": "Сергей Иванов", "phone": PHONE, "external_id": "c-1",
         "consent": {"telegram": True}}
    )  # fmt: skip
    await env.link_telegram(c, CHAT)
    goods = [
        ("phone-a", "Смартфон А", 15000, 5, "phones", None),
        ("phone-b", "Смартфон Б", 20000, 0, "phones", "phone-c"),  # the newer one, sold out
        ("phone-c", "Смартфон В", 21000, 3, "phones", None),
        ("phone-d", "Смартфон Г", 25000, 3, "phones", None),
        ("case-cheap", "Чехол простой", 500, 0, "cases", None),  # out, no analogue
        ("case-1", "Чехол", 990, 9, "cases", None),
        ("case-2", "Чехол-книжка", 1290, 9, "cases", None),
        ("glass-1", "Защитное стекло", 490, 9, "glass", None),
        ("glass-big", "Стекло для дорогих", 990, 9, "glass-premium", None),
    ]
    for sku, title, price, stock, category, analogue in goods:
        await env.product(sku, title=title, price=price, stock=stock, category=category,
                          analogue_sku=analogue)  # fmt: skip
    text = "{{ customer.first_name }}, для вашего «{{ bought.title }}»: {{ product.title }}"
    await rule(
        env,
        name="Чехол",
        kind="accessory",
        category="phones",
        price_min=10000,
        price_max=20000,
        offer_category="cases",
        delay_days=30,
        template=text,
    )
    await rule(
        env,
        name="Стекло",
        kind="accessory",
        category="phones",
        price_min=10000,
        price_max=20000,
        offer_category="glass",
        delay_days=31,
        template=text,
    )
    await rule(
        env,
        name="Стекло (дорогие)",
        kind="accessory",
        category="phones",
        price_min=20000,
        offer_category="glass-premium",
        delay_days=30,
        template=text,
    )
    await rule(
        env,
        name="Новая модель",
        kind="upgrade",
        category="phones",
        delay_days=720,
        template="{{ customer.first_name }}, пора обновиться: {{ product.title }}",
    )
    await rule(env, name="Подарок", kind="gift", category="phones", delay_days=3)  # fmt: skip

    async def at_day(day: int) -> dict[str, int]:
        env.clock.t = start - timedelta(days=730 - day)
        counts = (await calendar_plan.plan(env.ctx, SHOP)).answer()
        await env.drain()
        return counts

    await buy(env, {"sku": "phone-a", "price": 15000, "category": "phones"})
    env.clock.advance(days=10)
    await buy(env, {"sku": "case-1", "price": 990, "category": "cases"})
    assert (await at_day(29))["planned"] == 0
    # Day 30: a case; the cheap one is sold out, the first one is already bought.
    assert (await at_day(30))["planned"] == 1
    assert texts(env) == ["Сергей, для вашего «Смартфон А»: Чехол-книжка"]
    # Day 31: the glass is due, but one offer a period (30 days by default).
    counts = await at_day(31)
    assert (counts["planned"], counts["waiting_for_period"]) == (0, 1)
    assert (await at_day(59))["planned"] == 0
    assert (await at_day(60))["planned"] == 1  # the period is over: the glass now
    assert texts(env)[-1] == "Сергей, для вашего «Смартфон А»: Защитное стекло"
    assert (await at_day(60))["planned"] == 0  # a second pass plans nothing twice

    # Day 400: a phone given as a present; three days later staff call about it.
    env.clock.t = start - timedelta(days=330)
    await buy(env, {"sku": "phone-d", "name": "Смартфон Г", "price": 25000,
                    "category": "phones"}, gift=True, recipient="Анна")  # fmt: skip
    counts = await at_day(403)
    assert (counts["gifts"], counts["planned"]) == (1, 0)  # no accessories for a present
    async with env.server.deps.sessions() as session:
        (task,) = await session.scalars(select(Task))
    assert (task.kind, task.phone) == ("callback", PHONE)
    assert task.text == ("3 дн. назад клиент Сергей Иванов подарил «Смартфон Г» получателю Анна. "
                         "Узнайте, всё ли в порядке с подарком.")  # fmt: skip
    # The staff chat hears of it at once, as of a call-back asked for on a page.
    assert [m["text"] for m in env.tg.messages_to(-1001)] == [
        f"Подарок: {task.text} Телефон: {PHONE}"
    ]

    # Day 720, the phone's lifetime: the newer model is sold out, its analogue is offered.
    assert (await at_day(720))["planned"] == 1
    assert texts(env)[-1] == "Сергей, пора обновиться: Смартфон В"
    assert len(texts(env)) == 3
    offered = [p.sku for p in await plans(env)]
    assert offered == ["case-2", "glass-1", "phone-d", "phone-c"]
    assert not {"case-cheap", "case-1", "phone-a", "phone-b", "glass-big"} & set(offered)


async def test_nothing_in_stock_nothing_offered_and_the_holdout_sends_nothing(env: Env) -> None:
    await env.customers({"name": "Олег", "phone": PHONE, "external_id": "c-1"})
    await env.product("case-x", title="Чехол", price=990, stock=0, category="cases")
    await rule(env, name="Чехол", kind="accessory", category="phones", offer_category="cases",
               delay_days=1, template="{{ product.title }}")  # fmt: skip
    await buy(env, {"sku": "phone-a", "price": 15000, "category": "phones"})
    env.clock.advance(days=1)
    counts = (await calendar_plan.plan(env.ctx, SHOP)).answer()
    assert (counts["planned"], counts["nothing_to_offer"]) == (0, 1)
    await buy(env, {"sku": "phone-b", "price": 15000, "category": "phones"})
    # In stock again, with half held out: twenty buyers, each planned once, about half as
    # the control group, which gets nothing.
    await env.product("case-x", title="Чехол", price=990, stock=4, category="cases")
    async with env.server.deps.write() as session:
        (row,) = await session.scalars(select(CalendarRule))
        row.holdout_percent = 50
    await env.customers(*({"name": f"Покупатель {i}", "phone": f"+7912000{i:04d}",
                           "external_id": f"b-{i}", "consent": {"sms": True}}
                          for i in range(20)))  # fmt: skip
    for i in range(20):
        event = {
            "id": f"b{i}",
            "type": "purchase",
            "customer": {"id": f"b-{i}"},
            "order": {
                "id": f"bo{i}",
                "total": 9000,
                "items": [{"sku": "phone-z", "price": 9000, "category": "phones"}],
            },
        }
        assert (await env.call("POST", "/api/v1/events", {"events": [event]}))[0] == 201
    env.clock.advance(days=1)
    counts = (await calendar_plan.plan(env.ctx, SHOP)).answer()
    # Олег's two phones: one offer a period, the second waits.
    assert counts["planned"] + counts["held_out"] == 21 and counts["waiting_for_period"] == 1
    assert 0 < counts["held_out"] < 20
    made = await plans(env)
    assert {p.group for p in made if p.delivery_id is None} == {"control"}
    assert len(await env.deliveries()) == counts["planned"]


async def test_the_rules_report_counts_orders_cost_and_uplift_and_exports_csv(env: Env) -> None:
    await env.product("case-x", title="Чехол", price=990, stock=50, category="cases")
    await rule(env, name="Чехол к телефону", kind="accessory", category="phones",
               offer_category="cases", delay_days=1, template="{{ product.title }}")  # fmt: skip
    async with env.server.deps.write() as session:
        (row,) = await session.scalars(select(CalendarRule))
        row.holdout_percent = 50
    await env.customers(*({"name": f"Покупатель {i}", "phone": f"+7912000{i:04d}",
                           "external_id": f"b-{i}", "consent": {"sms": True}}
                          for i in range(16)))  # fmt: skip

    async def purchase(i: int, sku: str, category: str, total: int) -> None:
        event = {
            "id": f"x{next(_ids)}",
            "type": "purchase",
            "customer": {"id": f"b-{i}"},
            "order": {
                "id": f"xo{next(_ids)}",
                "total": total,
                "items": [{"sku": sku, "price": total, "category": category}],
            },
        }
        assert (await env.call("POST", "/api/v1/events", {"events": [event]}))[0] == 201

    for i in range(16):
        await purchase(i, "phone-z", "phones", 9000)
    env.clock.advance(days=1)
    await calendar_plan.plan(env.ctx, SHOP)
    await env.drain()
    made = await plans(env)
    treated = [p for p in made if p.group == "treated"]
    control = [p for p in made if p.group == "control"]
    assert treated and control
    # Two of the treated buy the case within the attribution window, one of the control too;
    # a purchase a month later counts for nobody.
    env.clock.advance(days=2)
    ext = {p.customer_id: i for i, p in enumerate(sorted(made, key=lambda p: p.customer_id))}
    for p in (*treated[:2], control[0]):
        await purchase(ext[p.customer_id], "case-x", "cases", 990)
    env.clock.advance(days=30)
    await purchase(ext[treated[-1].customer_id], "case-x", "cases", 990)
    async with env.server.deps.sessions() as session:
        (report,) = await calendar_reports.report(session)
        text = await calendar_reports.csv_export(session)
    assert (report["planned"], report["held_out"]) == (16, len(control))
    assert (report["ordered"], report["revenue"]) == (2, 1980.0)
    assert report["sent"] == {"sms": len(treated)}
    assert report["cost"] == len(treated) * 4.0  # the default price of an SMS
    assert report["revenue_per_ruble"] == 1980.0 / (len(treated) * 4.0)
    up = report["uplift"]
    assert up["rate_treated"] == 2 / len(treated) and up["rate_control"] == 1 / len(control)
    assert up["ci_low"] < up["uplift"] < up["ci_high"]
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:4] == ["kind", "id", "shop_id", "name"]
    (mine,) = [line for line in lines if line[0] == "calendar"]
    assert mine[3:8] == ["Чехол к телефону", "16", str(len(control)), "2", "1980.00"]
    assert {line[3] for line in lines if line[0] == "journey"} >= {"Продление лицензии"}


async def test_past_orders_from_a_1c_csv_are_the_calendars_history(env: Env) -> None:
    await env.customers({"name": "Сергей Иванов", "phone": PHONE, "external_id": "c-1",
                         "consent": {"sms": True}})  # fmt: skip
    await env.product("case-1", title="Чехол", price=990, stock=5, category="cases")
    await env.product("case-2", title="Чехол-книжка", price=1290, stock=5, category="cases")
    await rule(env, name="Чехол", kind="accessory", category="phones", offer_category="cases",
               delay_days=30, template="{{ product.title }}")  # fmt: skip
    day = (env.clock.now() - timedelta(days=30)).strftime("%d.%m.%Y")
    text = (
        "Заказ;Клиент;Дата;Артикул;Наименование;Категория;Цена;Количество;Подарок\n"
        "A-1;c-1;01.12.2024;phone-1;Смартфон;phones;15 990,00;1;нет\n"
        f"A-2;c-1;{day};phone-2;Смартфон 2;phones;18990;1;нет\n"
        f"A-2;c-1;{day};case-1;Чехол;cases;990;2;нет\n"
    )
    headers = {"Authorization": f"Bearer {env.key}", "Content-Type": "text/csv"}
    async with aiohttp.ClientSession() as http:
        bad = text + "A-3;c-1;32.13.2025;x;X;phones;1;1;\n"
        r = await http.post(f"{env.url}/api/v1/orders/csv", data=bad.encode("cp1251"),
                            headers=headers)  # fmt: skip
        assert r.status == 400 and "line 5" in (await r.json())["error"]["message"]
        r = await http.post(f"{env.url}/api/v1/orders/csv", data=text.encode("cp1251"),
                            headers=headers)  # fmt: skip
        assert (r.status, (await r.json())["imported"]) == (201, {"events": 2, "new": 2,
                                                                  "duplicate": 0})  # fmt: skip
    async with env.server.deps.sessions() as session:
        lines = list(await session.scalars(select(PurchaseLine).order_by(PurchaseLine.id)))
    found = [(x.order_ref, x.sku, float(x.price)) for x in lines]
    assert found == [("A-1", "phone-1", 15990.0), ("A-2", "phone-2", 18990.0),
                     ("A-2", "case-1", 990.0)]  # fmt: skip
    counts = await calendar_plan.plan(env.ctx, SHOP)
    assert counts.planned == 1  # the 2024 phone is long past; the case bought is not offered
    (d,) = await env.deliveries()
    assert d.sku == "case-2"


async def test_an_offer_that_went_by_sms_after_a_blocked_bot_is_counted_with_its_sms(
    env: Env,
) -> None:
    """The plan's message tried Telegram (blocked) and went by SMS: the report counts the SMS,
    its cost and the click on its page, and the SMS names the phone the case is for."""
    (c,) = await env.customers(
        {"name": "Сергей Иванов", "phone": PHONE, "external_id": "c-1",
         "consent": {"telegram": True, "sms": True}}
    )  # fmt: skip
    await env.link_telegram(c, CHAT)
    env.tg.blocked.add(CHAT)
    await env.product("case-x", title="Чехол", price=990, stock=5, category="cases")
    await env.product("phone-a", title="Смартфон А", price=15000, stock=5, category="phones")
    await rule(env, name="Чехол к телефону", kind="accessory", category="phones",
               offer_category="cases", delay_days=1,
               template="{{ product.title }} к «{{ bought.title }}»")  # fmt: skip
    await buy(env, {"sku": "phone-a", "price": 15000, "category": "phones"})
    env.clock.advance(days=1)
    await calendar_plan.plan(env.ctx, SHOP)
    await env.drain()

    (plan,) = await plans(env)
    first, second = await env.deliveries()
    assert (first.id, first.state, first.channel, first.first_id) == (
        plan.delivery_id,
        "switched",
        "telegram",
        None,
    )
    assert (second.state, second.channel, second.first_id) == ("sent", "sms", first.id)
    (sms,) = env.sms.messages_to(PHONE)
    assert "Чехол к «Смартфон А»" in sms["msg"], sms
    assert await signals.page_seen(env.ctx, second.code) == second.id

    async with env.server.deps.sessions() as session:
        (report,) = await calendar_reports.report(session)
    assert report["sent"] == {"sms": 1}
    assert report["cost"] == 4.0 and report["cost_by_channel"] == {"sms": 4.0}
    assert report["clicked"] == 1
