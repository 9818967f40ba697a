"""The two shipped journeys, driven through the REST API on the fake clock: 15 minutes after
the visit ends, one day later with similar goods, a purchase stopping the chain, order
statuses as service messages, a status skipped, a restart mid-journey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from devkit.fakes.telegram import update_message
from prilavok.bot import journey_defs, reports
from prilavok.bot.journey_steps import JourneySteps, at_hour
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Journey, JourneyRun, JourneyTimer
from tests.bot.conftest import ClockedServer, Env

PHONE, CHAT = "+79123456789", 7400
_ids = count(1)


async def send(env: Env, kind: str, **body: Any) -> dict[str, Any]:
    event = {"id": f"e{next(_ids)}", "type": kind, "customer": {"id": "c-1"}, **body}
    status, data = await env.call("POST", "/api/v1/events", {"events": [event]})
    assert status == 201, data
    return data


async def telegram_customer(env: Env) -> dict[str, Any]:
    (c,) = await env.customers(
        {"name": "Мария Петрова", "phone": PHONE, "external_id": "c-1",
         "consent": {"telegram": True}}
    )  # fmt: skip
    await env.link_telegram(c, CHAT)
    return c


def texts(env: Env) -> list[str]:
    return [m["text"] for m in env.tg.messages_to(CHAT) if not m["text"].startswith("Готово")]


async def runs(env: Env) -> list[JourneyRun]:
    async with env.server.deps.sessions() as session:
        return list(await session.scalars(select(JourneyRun).order_by(JourneyRun.id)))


async def set_cart_journey(env: Env, **change: Any) -> None:
    """The shop's cart-restore URL, and no holdout, so every run here is treated."""
    async with env.server.deps.write() as session:
        for j in await session.scalars(select(Journey).where(Journey.key == "abandoned_cart")):
            j.definition = {**j.definition, "cart_url": "https://shop.example/cart?i={items}"}
            j.holdout_percent = 0
            for key, value in change.items():
                setattr(j, key, value)


CART = {
    "id": "cart-1",
    "items": [{"sku": "phone-1", "name": "Телефон", "price": 15990, "category": "phones"}],
    "total": 15990,
}


async def cart_journey_started(env: Env) -> None:
    await telegram_customer(env)
    await env.product("glass-1", title="Защитное стекло", price=490, category="phones")
    await env.product("case-9", title="Чехол без наличия", stock=0, category="phones")
    await env.product("mug-1", title="Кружка", category="kitchen")
    await send(env, "product.viewed", product={"sku": "phone-1"})  # shop's journeys created
    await set_cart_journey(env)
    await send(env, "cart.changed", cart=CART)


async def test_abandoned_cart_15_minutes_after_the_visit_then_a_day_later(env: Env) -> None:
    await cart_journey_started(env)
    env.clock.advance(minutes=10)
    await send(env, "product.viewed", product={"sku": "phone-2"})  # still browsing
    env.clock.advance(minutes=14)
    await env.drain()
    assert texts(env) == []  # 15 minutes after the last activity, not after the cart
    env.clock.advance(minutes=1, seconds=1)
    await env.drain()
    (first,) = texts(env)
    assert first.startswith("Мария, вы оставили в корзине товары на 15990 руб.")
    link = first.rsplit("\n", 1)[-1].split()[-1]
    assert "/j/cart/" in link

    # The link opens the shop's cart with these items; a forged signature opens nothing.
    path = link.split("https://shop.example", 1)[1]
    async with aiohttp.ClientSession() as http:
        r = await http.get(env.url + path, allow_redirects=False)
        assert r.status == 302
        assert r.headers["Location"] == "https://shop.example/cart?i=phone-1:1"
        forged = path[:-4] + "0000"
        assert (await http.get(env.url + forged, allow_redirects=False)).status == 404
        other = path.replace("/j/cart/1-", "/j/cart/2-")
        assert (await http.get(env.url + other, allow_redirects=False)).status == 404
    (clicked,) = [d for d in await env.deliveries() if d.run_id is not None]
    assert clicked.clicked_at == env.clock.now()  # the journey's report counts the click

    env.clock.advance(hours=23)
    await env.drain()
    assert len(texts(env)) == 1
    env.clock.advance(hours=1)
    await env.drain()
    second = texts(env)[1]
    # Similar goods in stock from the cart's category; not the one out of stock.
    assert "Похожее в наличии: Защитное стекло — 490 руб." in second
    assert "Чехол без наличия" not in second and "Кружка" not in second
    (run,) = [r for r in await runs(env) if r.trigger_key == "cart:cart-1"]
    assert (run.state, run.group) == ("done", "treated")


async def test_a_purchase_stops_the_chain_and_counts_as_ordered(env: Env) -> None:
    await cart_journey_started(env)
    env.clock.advance(minutes=16)
    await env.drain()
    assert len(texts(env)) == 1
    env.clock.advance(hours=2)
    await send(env, "purchase", order={"id": "1c-5", "total": 15990, "offline": True})
    env.clock.advance(days=2)
    await env.drain()
    assert len(texts(env)) == 1  # no second message
    (run,) = [r for r in await runs(env) if r.trigger_key == "cart:cart-1"]
    assert (run.state, run.exit_reason) == ("exited", "purchase")
    assert run.ordered_at is not None and float(run.revenue) == 15990
    async with env.server.deps.sessions() as session:
        assert list(await session.scalars(select(JourneyTimer))) == []


async def test_the_same_cart_enters_once_and_a_stop_ends_the_marketing_chain(env: Env) -> None:
    await cart_journey_started(env)
    await send(env, "cart.changed", cart={**CART, "total": 16480})  # the same cart, changed
    assert [r.trigger_key for r in await runs(env)] == ["cart:cart-1"]
    env.clock.advance(minutes=16)
    await env.drain()
    assert "16480" in texts(env)[0]  # the cart as it is now
    assert await env.telegram_update(update_message(env.next_update_id(), CHAT, "/stop")) == 200
    env.clock.advance(days=1)
    await env.drain()
    assert len([t for t in texts(env) if "корзин" in t.lower()]) == 1
    (run,) = await runs(env)
    assert (run.state, run.exit_reason) == ("exited", "opt_out")


async def status(env: Env, st: str, **order: Any) -> None:
    await send(env, "order.status_changed", order={"id": "12465", "status": st, **order})


async def test_order_status_is_a_service_message_and_a_skipped_status_sends_nothing(
    env: Env,
) -> None:
    # No marketing consent at all: order status still goes, by SMS.
    await env.customers({"name": "Анна", "phone": PHONE, "external_id": "c-1"})
    await status(env, "received")
    await env.drain()
    await status(env, "confirmed", total=8450)
    await env.drain()
    await status(env, "delivered")  # out_for_delivery never came
    await env.drain()
    sms = [m["msg"] for m in env.sms.messages_to(PHONE)]
    assert sms == [
        "Анна, ваш заказ №12465 получен. Мы позвоним, чтобы подтвердить его.",
        "Анна, ваш заказ №12465 на сумму 8450 руб. подтверждён.",
        "Заказ №12465 доставлен. Спасибо за покупку! Оцените нас, пожалуйста: "
        "ответьте цифрой от 1 до 5.",
    ]
    (run,) = await runs(env)
    assert (run.state, run.group) == ("done", "treated")
    # Service messages are not marketing: the offers report counts none of them.
    async with env.server.deps.sessions() as session:
        journey = await session.get(Journey, run.journey_id)
    assert journey is not None and journey.purpose == "service"
    start, end = env.clock.now() - timedelta(days=1), env.clock.now() + timedelta(days=1)
    report = await reports.offers_report(env.server.deps, start, end)
    assert report["rows"] == [] and report["totals"]["sent"] == 0


async def test_a_stop_ends_marketing_but_not_order_status(env: Env) -> None:
    await telegram_customer(env)
    assert await env.telegram_update(update_message(env.next_update_id(), CHAT, "/stop")) == 200
    await send(env, "cart.changed", cart=CART)
    await status(env, "confirmed", total=8450)
    env.clock.advance(minutes=16)
    await env.drain()
    sent_texts = texts(env)
    assert sent_texts[0].startswith("Вы отписались")  # the bot's answer to /stop
    assert sent_texts[1:] == ["Мария, ваш заказ №12465 на сумму 8450 руб. подтверждён."]
    # The service message has no unsubscribe button: it is no advertising.
    (sent,) = [m for m in env.tg.messages_to(CHAT) if "12465" in m["text"]]
    assert not sent["reply_markup"]


async def test_a_newer_status_replaces_one_waiting_for_the_send_window(env: Env) -> None:
    await env.customers({"name": "Анна", "phone": PHONE, "external_id": "c-1"})
    env.clock.advance(hours=13)  # 22:00 in Moscow: outside the send window
    await status(env, "confirmed", total=8450)
    await env.drain()
    assert env.sms.messages_to(PHONE) == []
    env.clock.advance(hours=10)  # 8:00: still outside; the courier leaves
    await status(env, "out_for_delivery", delivery_time="с 10 до 14", courier="Алексей")
    env.clock.advance(hours=2, minutes=1)
    await env.drain()
    assert [m["msg"] for m in env.sms.messages_to(PHONE)] == [
        "Заказ №12465 в пути: с 10 до 14, курьер Алексей."
    ]


async def test_a_restart_mid_journey_loses_no_step_and_repeats_none(env: Env) -> None:
    await cart_journey_started(env)
    env.clock.advance(minutes=16)
    await env.drain()
    assert len(texts(env)) == 1
    # The server stops; another starts on the same database.
    await env.server.stop()
    env.server = ClockedServer(env.server.settings, env.clock)
    await env.server.start()
    env.clock.advance(days=1)
    await env.drain()
    await env.drain()
    assert len(texts(env)) == 2 and "Похожее" in texts(env)[1]


async def test_a_step_claimed_by_a_crashed_process_is_taken_once_after_its_lease(
    env: Env,
) -> None:
    await cart_journey_started(env)
    env.clock.advance(minutes=16)
    claimed = await env.worker.journeys.claim()  # this process "dies" holding the claim
    assert len(claimed) == 1
    await env.drain()
    assert texts(env) == []  # leased: nobody else takes it yet
    env.clock.advance(seconds=env.ctx.config.lease.total_seconds() + 1)
    await env.drain()
    await env.drain()
    assert len(texts(env)) == 1


async def test_journey_definitions_are_checked() -> None:
    for key in journey_defs.SHIPPED:
        assert journey_defs.parse(journey_defs.SHIPPED[key]).definition.steps
    bad = {**journey_defs.ORDER_STATUS, "definition": {
        **journey_defs.ORDER_STATUS["definition"],
        "steps": [{"status": "confirmed", "template": "{{ order.nope }}"}]}}  # fmt: skip
    with pytest.raises(ConsultError) as refused:
        journey_defs.parse(bad)
    assert refused.value.code == "invalid_template"


def test_a_step_waits_until_an_hour_in_the_customers_zone() -> None:
    noon_msk = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert at_hour(noon_msk, 10, "Europe/Moscow") == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert at_hour(noon_msk, 19, "Europe/Moscow") == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    # 19:00 in Vladivostok (UTC+10): its next 10:00 is midnight UTC.
    assert at_hour(noon_msk, 10, "Asia/Vladivostok") == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    step = journey_defs.StepIn.model_validate(
        {"wait_minutes": 24 * 60, "until_hour": 15, "template": "x"}
    )
    # A day later, then on to 15:00 there.
    assert JourneySteps.due(step, noon_msk, "Europe/Moscow") == datetime(
        2026, 11, 24, 12, 0, tzinfo=UTC
    )
