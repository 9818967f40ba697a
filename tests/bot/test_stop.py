"""A stop in any channel stops marketing in all of them, until the shop records new consent
through the API: /stop, the stop words, the unsubscribe buttons, Viber's unsubscribe."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from devkit.fakes.telegram import update_button, update_message
from devkit.fakes.viber import event, user
from prilavok.storage.models import OfferEvent
from tests.bot.conftest import Env

PHONE = "+79123456789"
CHAT, VIBER = 7100, "vb-7100"


async def everywhere(env: Env) -> dict[str, Any]:
    (c,) = await env.customers(
        {"name": "Иван", "phone": PHONE, "consent": {"sms": True, "viber": True}}
    )
    await env.link_telegram(c, CHAT)
    await env.link_viber(c, VIBER)
    return c


def viber_text(text: str) -> dict[str, Any]:
    return event("message", sender=user(VIBER), message={"type": "text", "text": text})


async def say_stop(env: Env, how: str, code: str) -> None:
    if how == "telegram button":
        update = update_button(env.next_update_id(), CHAT, f"stop:{code}", 1)
        assert await env.telegram_update(update) == 200
    elif how == "viber button":
        assert await env.viber_callback(viber_text(f"stop:{code}")) == 200
    elif how == "viber unsubscribed":
        assert await env.viber_callback(event("unsubscribed", user_id=VIBER)) == 200
    elif how.startswith("telegram "):
        update = update_message(env.next_update_id(), CHAT, how.removeprefix("telegram "))
        assert await env.telegram_update(update) == 200
    else:
        assert await env.viber_callback(viber_text(how.removeprefix("viber "))) == 200


@pytest.mark.parametrize(
    "how",
    [
        "telegram /stop",
        "telegram Стоп",
        "telegram отписаться",
        "telegram button",
        "viber STOP",
        "viber  Отписаться ",
        "viber button",
        "viber unsubscribed",
    ],
)
async def test_a_stop_in_one_channel_stops_offers_in_all(env: Env, how: str) -> None:
    await env.product()
    c = await everywhere(env)
    await env.offer()
    await env.drain()
    (first,) = env.tg.offers_to(CHAT)
    buttons = [b["text"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert "Отписаться" in buttons
    (d,) = await env.deliveries()

    await say_stop(env, how, d.code)
    customer = await env.customer(c["id"])
    assert customer.opted_out_at is not None
    assert not (customer.consent_telegram or customer.consent_viber or customer.consent_sms)

    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет"}
    )
    assert status == 201 and data["offer"]["planned"] == 0
    assert data["offer"]["warning"]["code"] == "nobody_can_receive"
    await env.drain()
    assert len(env.tg.offers_to(CHAT)) == 1
    assert env.viber.sent == [] and env.sms.sent == []
    async with env.server.deps.sessions() as session:
        stops = list(
            await session.scalars(select(OfferEvent.detail).where(OfferEvent.kind == "opt_out"))
        )
    assert len(stops) == 1 and "every channel" in stops[0]


async def test_offers_waiting_fail_at_once_and_relinking_is_no_consent(env: Env) -> None:
    await env.product()
    c = await everywhere(env)
    env.clock.advance(hours=13)  # night in Moscow: the offer waits
    await env.offer()
    await env.drain()
    (waiting,) = await env.deliveries()
    assert waiting.reason == "quiet_hours"

    assert await env.telegram_update(update_message(env.next_update_id(), CHAT, "stop")) == 200
    (d,) = await env.deliveries()
    assert (d.state, d.reason) == ("failed", "opted_out")
    assert "во всех каналах" in env.tg.messages_to(CHAT)[-1]["text"]

    # Opening the bot's link again links, but is no new consent.
    await env.link_telegram(c, CHAT)
    assert not (await env.customer(c["id"])).consent_telegram
    assert "отписались" in env.tg.messages_to(CHAT)[-1]["text"]
    env.clock.advance(hours=12)
    await env.offer()
    await env.drain()
    assert env.tg.offers_to(CHAT) == [] and env.sms.sent == []

    # The shop records new consent through the API: offers go again.
    await env.customers({"name": "Иван", "phone": PHONE, "consent": {"telegram": True}})
    customer = await env.customer(c["id"])
    assert customer.opted_out_at is None and customer.consent_telegram
    await env.offer()
    await env.drain()
    assert len(env.tg.offers_to(CHAT)) == 1
