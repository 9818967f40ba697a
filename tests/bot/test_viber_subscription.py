"""Viber's subscription rules: opening the chat is not subscribing; the one welcome message
goes in the answer to conversation_started; "not subscribed" (status 6) is not a block: the
offer goes by the next channel, or waits, and a later `subscribed` brings Viber back."""

from __future__ import annotations

from devkit.fakes.viber import event, user
from tests.bot.conftest import Env

PHONE = "+79123456789"


async def test_not_subscribed_falls_back_and_subscribing_restores_viber(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван", "phone": PHONE, "consent": {"sms": True}})
    await env.link_viber(c, "vb-new")
    env.viber.subscribed.discard("vb-new")  # unsubscribed since, and we did not hear of it

    await env.offer()
    await env.drain()
    assert env.viber.sent == []  # Viber refused: status 6
    first, second = await env.deliveries()
    assert (first.channel, first.state, first.reason) == ("viber", "switched", "not_subscribed")
    assert (second.channel, second.state) == ("sms", "sent")
    customer = await env.customer(c["id"])
    assert customer.viber_subscribed is False and customer.consent_viber

    await env.viber_subscribe("vb-new")
    customer = await env.customer(c["id"])
    assert customer.channel == "viber" and customer.viber_subscribed is True
    await env.offer()
    await env.drain()
    assert len(env.viber.messages_to("vb-new")) == 1
    assert len(env.sms.sent) == 1


async def test_a_viber_only_customer_waits_until_subscribed(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Иван", "phone": PHONE})
    welcome = await env.link_viber(c, "vb-wait", subscribed=False)
    assert welcome["type"] == "text" and "Подписаться" in welcome["text"]
    assert welcome["sender"]["name"]
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    assert (d.state, d.reason) == ("scheduled", "not_subscribed")
    env.clock.advance(hours=7)
    await env.drain()  # looked at again: still not subscribed, still waiting
    assert [(d.state, d.reason) for d in await env.deliveries()] == [
        ("scheduled", "not_subscribed")
    ]
    assert not (await env.customer(c["id"])).telegram_blocked

    # Writing to the bot subscribes, as in Viber; the waiting offer goes at once.
    env.viber.subscribed.add("vb-wait")
    msg = event("message", sender=user("vb-wait"), message={"type": "text", "text": "Привет"})
    assert await env.viber_callback(msg) == 200
    await env.drain()
    (sent,) = env.viber.messages_to("vb-wait")
    assert [d.state for d in await env.deliveries()] == ["sent"]
    assert sent["text"].startswith("Иван")


async def test_a_subscribed_user_opening_the_chat_gets_the_plain_welcome(env: Env) -> None:
    (c,) = await env.customers({"name": "Иван", "phone": PHONE})
    welcome = await env.link_viber(c, "vb-old", subscribed=True)
    assert welcome["text"].startswith("Готово!")
    assert (await env.customer(c["id"])).viber_subscribed is True
