"""Three unread in Telegram → Viber → three unread → SMS; a Viber `seen` resets the count; a
blocked bot switches at once."""

from __future__ import annotations

from sqlalchemy import select

from devkit.fakes.viber import event
from prilavok.storage.models import OfferEvent
from tests.bot.conftest import Env, Visitor

WINDOW = {"hours": 24, "minutes": 1}
PHONE = "+79123456789"


async def linked_customer(env: Env, chat_id: int = 5001, viber_id: str = "vb-1") -> int:
    (c,) = await env.customers(
        {"name": "Иван Петров", "phone": "8 912 345-67-89", "consent": {"sms": True}}
    )
    await env.link_telegram(c, chat_id)
    await env.link_viber(c, viber_id)
    return c["id"]


async def one_offer_unread(env: Env) -> None:
    await env.offer()
    await env.drain()
    env.clock.advance(**WINDOW)
    await env.drain()


async def test_three_unread_in_telegram_then_viber_then_sms(env: Env) -> None:
    await env.product()
    cid = await linked_customer(env)

    for i in range(3):
        await one_offer_unread(env)
        assert len(env.tg.offers_to(5001)) == i + 1
    assert env.viber.sent == []
    customer = await env.customer(cid)
    assert customer.channel == "viber"

    for i in range(3):
        await one_offer_unread(env)
        assert len(env.viber.messages_to("vb-1")) == i + 1
    assert len(env.tg.offers_to(5001)) == 3
    assert (await env.customer(cid)).channel == "sms"

    await env.offer()
    await env.drain()
    (sms,) = env.sms.messages_to(PHONE)
    assert "https://shop.example/m/ivan-petrov-" in sms["msg"]
    assert len(env.viber.sent) == 3 and len(env.tg.offers_to(5001)) == 3

    states = [d.state for d in await env.deliveries()]
    assert states == ["unread"] * 6 + ["sent"]
    async with env.server.deps.sessions() as session:
        switches = list(
            await session.scalars(select(OfferEvent.detail).where(OfferEvent.kind == "switch"))
        )
    assert switches == ["telegram→viber: 3 unread in a row", "viber→sms: 3 unread in a row"]

    # Switches are visible through the API too.
    status, data = await env.call("GET", f"/api/v1/customers/{cid}")
    assert status == 200
    assert [h["detail"] for h in data["customer"]["history"] if h["kind"] == "switch"] == switches


async def test_a_viber_seen_marks_earlier_messages_read_and_resets_the_count(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Ольга", "phone": "+79123450001"})
    await env.link_viber(c, "vb-olga")

    await one_offer_unread(env)
    await one_offer_unread(env)
    assert (await env.customer(c["id"])).unread_streak == 2
    await env.offer()
    await env.drain()
    third = env.viber.messages_to("vb-olga")[-1]

    # One `seen` for the newest message covers the batch before it.
    seen = event("seen", user_id="vb-olga", message_token=third["message_token"])
    assert await env.viber_callback(seen) == 200
    assert [d.state for d in await env.deliveries()] == ["read", "read", "read"]
    customer = await env.customer(c["id"])
    assert customer.unread_streak == 0 and customer.channel == "viber"

    # It takes three fresh unread ones to switch now.
    await one_offer_unread(env)
    await one_offer_unread(env)
    assert (await env.customer(c["id"])).channel == "viber"
    await one_offer_unread(env)
    assert (await env.customer(c["id"])).channel is None  # nothing else linked or consented


async def test_a_blocked_bot_switches_at_once_and_the_offer_goes_by_viber(env: Env) -> None:
    await env.product()
    cid = await linked_customer(env, chat_id=7007, viber_id="vb-7")
    env.tg.blocked.add(7007)
    calls_before = env.tg.calls

    await env.offer()
    await env.drain()

    assert env.tg.offers_to(7007) == []
    (msg,) = env.viber.messages_to("vb-7")
    assert msg["text"].startswith("Иван, для вас Чехол!")
    first, second = await env.deliveries()
    assert (first.state, first.channel, first.attempt) == ("switched", "telegram", 1)
    assert (second.state, second.channel, second.attempt) == ("sent", "viber", 2)
    customer = await env.customer(cid)
    assert customer.telegram_blocked and customer.channel == "viber"

    # Later offers do not try Telegram again.
    await env.offer()
    await env.drain()
    assert env.tg.calls == calls_before + 1
    assert len(env.viber.messages_to("vb-7")) == 2


async def test_a_read_makes_a_channel_current_again(env: Env) -> None:
    await env.product()
    cid = await linked_customer(env, chat_id=5100, viber_id="vb-5100")
    for _ in range(3):
        await one_offer_unread(env)
    assert (await env.customer(cid)).channel == "viber"

    # The customer opens an old Telegram offer's page: Telegram is theirs again.
    old = (await env.deliveries(channel="telegram"))[0]
    async with Visitor(env.url) as person:
        await person.read(old)
    customer = await env.customer(cid)
    assert customer.channel == "telegram" and customer.unread_streak == 0
    await env.offer()
    await env.drain()
    assert len(env.tg.offers_to(5100)) == 4


async def test_a_channel_this_server_cannot_send_by_is_not_chosen(env: Env) -> None:
    await env.product()
    await linked_customer(env, chat_id=9009, viber_id="vb-9009")
    telegram = env.ctx.channels.remove("telegram")  # as if no Telegram token were set
    assert telegram is not None
    try:
        await env.offer()
        await env.drain()
    finally:
        env.ctx.channels.register("telegram", telegram.transport, before="viber")
    assert env.tg.offers_to(9009) == []
    assert len(env.viber.messages_to("vb-9009")) == 1
