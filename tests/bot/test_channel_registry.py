"""A fourth channel, registered by a test, is sent by like the shipped three: the worker,
compose and fallback find it in the registry; nothing in them names it."""

from __future__ import annotations

import pytest

from prilavok.bot.channel_registry import Channels, Reach
from prilavok.channels.errors import Blocked, RateLimited
from prilavok.channels.message import Message, Sent
from prilavok.storage.models import Customer
from tests.bot.conftest import Env

PHONE = "+79123456789"


class FakeMessenger:
    """A messenger that reaches people by phone number (as WhatsApp does), in process: it
    keeps what it was given and answers as it is told to."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.fail_with: Exception | None = None

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to let go of."""

    def fits(self, text: str) -> bool:
        return len(text) <= 120

    async def send(self, message: Message) -> Sent:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return Sent(f"fm-{len(self.sent)}")


BY_PHONE = Reach(address=lambda c: c.phone or None, consent=lambda c: bool(c.consent_sms))


def register(env: Env) -> FakeMessenger:
    messenger = FakeMessenger()
    env.ctx.channels.register("messenger", messenger, BY_PHONE, before="sms")
    return messenger


async def test_the_worker_delivers_through_a_registered_fourth_channel(env: Env) -> None:
    messenger = register(env)
    await env.product()
    await env.customers({"name": "Иван Петров", "phone": PHONE, "consent": {"sms": True}})
    await env.offer(template="{{ customer.first_name }}, " + "очень " * 40 + "выгодно!")
    await env.drain()

    (message,) = messenger.sent
    (d,) = await env.deliveries()
    assert (d.state, d.channel, d.provider_id, d.reason) == ("sent", "messenger", "fm-1", None)
    assert message.to == PHONE
    # Cut to what this channel takes, the personal link kept whole, and the same buttons.
    link = f"https://shop.example/m/{d.slug}-{d.code}"
    assert messenger.fits(message.text) and message.text.endswith("…\n" + link)
    assert [b.url or b.reply for row in message.buttons for b in row] == [
        link,
        f"cb:{d.code}",
        f"no:{d.code}",
        f"stop:{d.code}",
    ]
    assert env.sms.sent == []  # SMS comes after it in the order
    assert (await env.customer(d.customer_id)).channel == "messenger"


async def test_a_fourth_channels_errors_mean_what_they_mean_for_the_others(env: Env) -> None:
    messenger = register(env)
    await env.product()
    await env.customers({"name": "Иван Петров", "phone": PHONE, "consent": {"sms": True}})

    messenger.fail_with = RateLimited(30, "slow down")
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    assert (d.state, d.reason, d.note) == ("scheduled", "rate_limited", "slow down")

    messenger.fail_with = Blocked("blocked by the user")
    env.clock.advance(seconds=31)
    await env.drain()
    first, second = await env.deliveries()
    assert (first.state, first.channel, first.reason) == ("switched", "messenger", "blocked")
    # Given up for this customer; the same offer went by the next channel, SMS.
    assert (second.state, second.channel) == ("sent", "sms")
    assert [m["to"] for m in env.sms.sent] == ["79123456789"]
    customer = await env.customer(first.customer_id)
    assert (customer.channel, customer.exhausted) == ("sms", "messenger")


async def test_the_registry_keeps_order_and_refuses_what_it_cannot_use(env: Env) -> None:
    # The shipped ones need no Reach, and keep their order; a new one goes where it is put.
    assert env.ctx.channels.names() == ("telegram", "viber", "sms")
    register(env)
    assert env.ctx.channels.names() == ("telegram", "viber", "messenger", "sms")
    channels = Channels()
    channels.register("messenger", FakeMessenger(), BY_PHONE)
    with pytest.raises(ValueError, match="registered already"):
        channels.register("messenger", FakeMessenger(), BY_PHONE)
    with pytest.raises(ValueError, match="needs a Reach"):
        channels.register("pigeon", FakeMessenger())
    assert channels.names() == ("messenger",)


def test_why_none_names_a_fourth_channels_customer_not_linked() -> None:
    from prilavok.bot import fallback

    customer = Customer(phone="", consent_sms=True, exhausted="", opted_out_at=None)
    reaches = {"messenger": BY_PHONE}
    assert fallback.pick(customer, reaches) is None
    assert fallback.why_none(customer, reaches) == "not_linked"
    customer.phone = PHONE
    assert fallback.pick(customer, reaches) == "messenger"
