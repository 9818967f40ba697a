"""Telegram and Viber webhooks: refused without the secret or signature; opt-outs and
failures switch at once; a "call me back" button reaches staff."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from devkit.fakes.telegram import update_button, update_message
from devkit.fakes.viber import event, user
from prilavok.storage.models import Task
from tests.bot.conftest import SMS_SECRET, Env


async def test_a_telegram_update_without_the_secret_is_refused(env: Env) -> None:
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789"})
    token = c["telegram_link"].split("start=")[1]
    assert c["telegram_link"] == f"https://t.me/shop_offers_bot?start={token}"
    update = update_message(1, 4242, f"/start {token}")

    assert await env.telegram_update(update, secret=None) == 401
    assert await env.telegram_update(update, secret="wrong") == 401
    customer = await env.customer(c["id"])
    assert customer.telegram_chat_id is None and not customer.consent_telegram
    assert env.tg.sent == []

    assert await env.telegram_update(update) == 200
    customer = await env.customer(c["id"])
    assert customer.telegram_chat_id == 4242 and customer.consent_telegram
    assert env.tg.messages_to(4242)[0]["text"].startswith("Готово!")


async def test_a_wrongly_signed_or_unsigned_viber_callback_is_refused(env: Env) -> None:
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789"})
    await env.link_viber(c, "vb-1")
    unsubscribe = event("unsubscribed", user_id="vb-1")

    assert await env.viber_callback(unsubscribe, signature="0" * 64) == 403
    assert await env.viber_callback(unsubscribe, signature=None) == 403
    assert (await env.customer(c["id"])).consent_viber

    assert await env.viber_callback(unsubscribe) == 200
    assert not (await env.customer(c["id"])).consent_viber


async def test_a_viber_failed_event_switches_and_resends_by_the_next_channel(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.link_viber(c, "vb-9")
    await env.offer()
    await env.drain()
    (msg,) = env.viber.messages_to("vb-9")

    failed = event("failed", user_id="vb-9", message_token=msg["message_token"])
    assert await env.viber_callback(failed) == 200
    await env.drain()
    assert [d.state for d in await env.deliveries()] == ["switched", "sent"]
    assert len(env.sms.sent) == 1
    assert (await env.customer(c["id"])).channel == "sms"


async def test_a_call_me_back_button_makes_a_task_and_tells_the_staff_chat(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван Петров", "phone": "+79123456789"})
    await env.link_telegram(c, 5555)
    await env.offer()
    await env.drain()
    (offer_msg,) = env.tg.offers_to(5555)
    data = offer_msg["reply_markup"]["inline_keyboard"][1][0]["callback_data"]

    # Someone else's chat pressing it counts for nothing.
    assert await env.telegram_update(update_button(50, 6666, data, 1)) == 200
    assert (await env.deliveries())[0].state == "sent"

    assert await env.telegram_update(update_button(51, 5555, data, 1)) == 200
    (d,) = await env.deliveries()
    assert d.state == "read"
    async with env.server.deps.sessions() as session:
        (task,) = list(await session.scalars(select(Task)))
    assert (task.kind, task.source, task.phone) == ("callback", "telegram", "+79123456789")
    assert task.customer_ref == f"customer:{c['id']}"
    (staff,) = env.tg.messages_to(-1001)
    assert "Иван Петров" in staff["text"] and "+79123456789" in staff["text"]
    assert "Спасибо! Мы скоро перезвоним." in env.tg.answered_callbacks


async def test_viber_delivered_and_sms_statuses_are_recorded(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.link_viber(c, "vb-2")
    await env.offer()
    await env.drain()
    (msg,) = env.viber.messages_to("vb-2")
    delivered = event("delivered", user_id="vb-2", message_token=msg["message_token"])
    assert await env.viber_callback(delivered) == 200
    assert (await env.deliveries())[0].state == "delivered"

    # SMS: polled statuses and SMS.ru's callback both count as delivered.
    failed = event("failed", user_id="vb-2", message_token=msg["message_token"])
    assert await env.viber_callback(failed) == 200  # this offer goes again, by SMS
    await env.offer()
    await env.drain()
    first, second = env.sms.sent
    env.sms.codes[first["sms_id"]] = 103
    env.clock.advance(minutes=2)
    await env.drain()
    sms_rows = await env.deliveries(channel="sms")
    assert [d.state for d in sms_rows] == ["delivered", "sent"]

    async with aiohttp.ClientSession() as http:
        form = {"data[0]": f"sms_status\n{second['sms_id']}\n103\n1790000000"}
        r = await http.post(f"{env.url}/bot/sms/smsru/{SMS_SECRET}", data=form)
        assert await r.text() == "100"
        r = await http.post(f"{env.url}/bot/sms/smsru/wrong", data=form)
        assert r.status == 403
    assert [d.state for d in await env.deliveries(channel="sms")] == ["delivered", "delivered"]


async def test_viber_webhook_registration_asks_for_delivered_seen_and_failed(env: Env) -> None:
    await env.ctx.viber.set_webhook("https://shop.example/bot/viber/webhook")  # type: ignore[union-attr]
    (hook,) = env.viber.webhooks
    assert hook["url"] == "https://shop.example/bot/viber/webhook"
    assert {"delivered", "seen", "failed"} <= set(hook["event_types"])


async def test_a_viber_stop_message_opts_out(env: Env) -> None:
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789"})
    await env.link_viber(c, "vb-3")
    msg = event("message", sender=user("vb-3"), message={"type": "text", "text": "СТОП"})
    assert await env.viber_callback(msg) == 200
    assert not (await env.customer(c["id"])).consent_viber


async def test_a_viber_user_who_unsubscribed_is_switched_when_sending_fails(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.link_viber(c, "vb-gone")
    env.viber.subscribed.discard("vb-gone")  # Viber answers status 6, receiverNotSubscribed
    await env.offer()
    await env.drain()
    assert env.viber.sent == []
    first, second = await env.deliveries()
    assert (first.state, first.channel) == ("switched", "viber")
    assert (second.state, second.channel) == ("sent", "sms")
    assert len(env.sms.sent) == 1
