"""Read, delivered and failed signals from every channel, and what they change.

Viber reports reads (`seen`, one per batch: it covers the earlier messages too). Telegram bots
cannot see reads, so an inline button press or the personal page shown to a person counts (its
script's beacon, never the fetch itself: messengers and link checkers fetch links too). For SMS
a delivery report is "delivered" and the page shown is "read".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import delivery_states as states
from prilavok.bot import events, fallback, planning
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import READABLE, Reason, State
from prilavok.channels.message import Status
from prilavok.storage.models import Customer, Delivery


def _mark_read(
    ctx: Offers, session: AsyncSession, d: Delivery, customer: Customer, at: datetime
) -> None:
    if not states.read(d, at):
        return
    if d.channel:
        fallback.on_read(session, customer, d.channel, at, ctx.channels.reaches())


async def by_code(session: AsyncSession, code: str) -> Delivery | None:
    if not code or len(code) > 16:
        return None
    return await session.scalar(select(Delivery).where(Delivery.code == code))


async def page_seen(ctx: Offers, code: str) -> int | None:
    """The personal page shown to a person (its own script's beacon): a click, and a read of
    that message. Robots and HEAD never get here (bot/robots.py). Returns the id."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d = await by_code(session, code)
        if d is None:
            return None
        customer = await session.get(Customer, d.customer_id, with_for_update=True)
        assert customer is not None
        if d.clicked_at is None:
            d.clicked_at = now
            events.record(session, d.customer_id, "open", now, channel=d.channel, delivery_id=d.id)
        _mark_read(ctx, session, d, customer, now)
        return d.id


async def page_action(ctx: Offers, code: str, action: str) -> Delivery | None:
    """order / remind / callback pressed on the page by a person: a click and a read too.
    "remind" plans the offer again later, unless a later attempt of it is already pending
    (pressing it again changes nothing)."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d = await by_code(session, code)
        if d is None:
            return None
        # The customer's row, locked, serializes presses of the same customer.
        customer = await session.get(Customer, d.customer_id, with_for_update=True)
        assert customer is not None
        d.clicked_at = d.clicked_at or now
        _mark_read(ctx, session, d, customer, now)
        events.record(session, d.customer_id, action, now, channel=d.channel, delivery_id=d.id)
        if action == "remind" and not await _pending(session, d):
            await planning.next_attempt(
                session, d, now + ctx.config.remind_after, now, Reason.REMINDER
            )
        return d


async def _pending(session: AsyncSession, d: Delivery) -> bool:
    """Another attempt of the same offer to the same customer that has not gone out yet."""
    found = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.offer_id == d.offer_id,
            Delivery.customer_id == d.customer_id,
            Delivery.id != d.id,
            Delivery.state.in_((State.SCHEDULED, State.SENDING)),
        )
        .limit(1)
    )
    return found is not None


async def telegram_button(ctx: Offers, code: str, chat_id: int, action: str) -> Delivery | None:
    """A press of an inline button under our message; only that chat's own presses count."""
    return await _button(ctx, code, "telegram", lambda c: c.telegram_chat_id == chat_id, action)


async def viber_button(ctx: Offers, code: str, user_id: str, action: str) -> Delivery | None:
    return await _button(ctx, code, "viber", lambda c: c.viber_user_id == user_id, action)


async def _button(
    ctx: Offers, code: str, channel: str, is_sender: Callable[[Customer], bool], action: str
) -> Delivery | None:
    """A button under a message of `channel`, pressed by the customer it was sent to: a read."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d = await by_code(session, code)
        if d is None or d.channel != channel:
            return None
        customer = await session.get(Customer, d.customer_id, with_for_update=True)
        if customer is None or not is_sender(customer):
            return None
        events.record(session, d.customer_id, action, now, channel=channel, delivery_id=d.id)
        _mark_read(ctx, session, d, customer, now)
        return d


async def _viber_delivery(
    session: AsyncSession, user_id: str, token: str
) -> tuple[Delivery | None, Customer | None]:
    customer = await session.scalar(
        select(Customer).where(Customer.viber_user_id == user_id).with_for_update()
    )
    if customer is None:
        return None, None
    d = await session.scalar(
        select(Delivery).where(
            Delivery.channel == "viber",
            Delivery.provider_id == str(token),
            Delivery.customer_id == customer.id,
        )
    )
    return d, customer


async def viber_seen(ctx: Offers, user_id: str, token: str) -> int:
    """Marks the seen message and that customer's earlier unread Viber messages read."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        seen, customer = await _viber_delivery(session, user_id, token)
        if seen is None or customer is None or seen.sent_at is None:
            return 0
        earlier = await session.scalars(
            select(Delivery).where(
                Delivery.customer_id == customer.id,
                Delivery.channel == "viber",
                Delivery.state.in_(READABLE),
                Delivery.sent_at <= seen.sent_at,
            )
        )
        marked = 0
        for d in earlier:
            _mark_read(ctx, session, d, customer, now)
            marked += 1
        return marked


async def viber_delivered(ctx: Offers, user_id: str, token: str) -> None:
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d, _ = await _viber_delivery(session, user_id, token)
        if d is not None and d.state == State.SENT:
            states.delivered(d, now)


async def viber_failed(ctx: Offers, user_id: str, token: str, desc: str) -> None:
    """A failed message switches the customer at once, and the offer goes by the next channel."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d, customer = await _viber_delivery(session, user_id, token)
        if d is None or customer is None or d.state not in READABLE:
            return
        states.switch(d, Reason.DELIVERY_FAILED, f"viber: {desc}")
        reaches = ctx.channels.reaches()
        fallback.give_up(session, customer, "viber", "delivery failed", now, d.id, reaches)
        await planning.next_attempt(session, d, now, now)


async def statuses(ctx: Offers, channel: str, found: dict[str, Status]) -> None:
    """Delivery reports of one channel (SMS's: polled, or by callback), by provider id."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        for provider_id, status in found.items():
            d = await session.scalar(
                select(Delivery).where(
                    Delivery.channel == channel, Delivery.provider_id == provider_id
                )
            )
            if d is None or d.state not in READABLE:
                continue
            if status.delivered and d.delivered_at is None:
                states.delivered(d, now)
            elif status.failed and d.state == State.SENT:
                states.fail(d, Reason.DELIVERY_FAILED, status.detail)
