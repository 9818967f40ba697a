"""Which channel a customer's next offer takes, and when that changes.

Order of preference: Telegram, Viber, SMS. Three unread in a row in a channel, a block, an
unsubscribe or a failed delivery gives that channel up; a read makes its channel current again
and forgets what was given up. SMS is the last resort and is never given up for being unread.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from prilavok.bot import events
from prilavok.bot.delivery_states import Reason
from prilavok.storage.models import Customer
from sqlalchemy.ext.asyncio import AsyncSession

ORDER = ("telegram", "viber", "sms")


def usable(customer: Customer, channel: str) -> bool:
    """Linked and consented (and not blocked, and subscribed on Viber)."""
    if customer.opted_out_at is not None:
        return False
    if channel == "telegram":
        return bool(
            customer.consent_telegram
            and customer.telegram_chat_id is not None
            and not customer.telegram_blocked
        )
    if channel == "viber":
        return bool(
            customer.consent_viber
            and customer.viber_user_id
            and customer.viber_subscribed is not False
        )
    return bool(customer.consent_sms and customer.phone)


def _exhausted(customer: Customer) -> set[str]:
    return {c for c in (customer.exhausted or "").split(",") if c}


def pick(customer: Customer, configured: Collection[str] = ORDER) -> str | None:
    """The channel to use now: the current one while it works, else the first that does.
    Only channels this server has a token or key for (`configured`) count."""
    given_up = _exhausted(customer)

    def works(channel: str) -> bool:
        return channel in configured and channel not in given_up and usable(customer, channel)

    if customer.channel and works(customer.channel):
        return customer.channel
    return next((channel for channel in ORDER if works(channel)), None)


def why_none(customer: Customer, configured: Collection[str] = ORDER) -> Reason:
    """Why pick() found no channel: the most useful thing to tell the shop."""
    if customer.opted_out_at is not None:
        return Reason.OPTED_OUT
    consented = [c for c in ORDER if getattr(customer, f"consent_{c}")]
    if not consented:
        return Reason.OPTED_OUT
    here = [c for c in consented if c in configured]
    if not here:
        return Reason.NO_CHANNEL
    found = set()
    for channel in here:
        if channel == "telegram":
            if customer.telegram_chat_id is None:
                found.add(Reason.NOT_LINKED)
            elif customer.telegram_blocked:
                found.add(Reason.BLOCKED)
            else:
                found.add(Reason.IGNORED)
        elif channel == "viber":
            if not customer.viber_user_id:
                found.add(Reason.NOT_LINKED)
            elif customer.viber_subscribed is False:
                found.add(Reason.NOT_SUBSCRIBED)
            else:
                found.add(Reason.IGNORED)
        elif not customer.phone:
            found.add(Reason.NOT_LINKED)
    for reason in (Reason.NOT_SUBSCRIBED, Reason.BLOCKED, Reason.IGNORED):
        if reason in found:
            return reason
    return Reason.NOT_LINKED


def choose(
    session: AsyncSession, customer: Customer, at: datetime, configured: Collection[str] = ORDER
) -> str | None:
    """pick(), recording a switch when the customer's channel changes because it stopped working."""
    channel = pick(customer, configured)
    if channel and customer.channel and channel != customer.channel:
        events.record(
            session,
            customer.id,
            "switch",
            at,
            channel=channel,
            detail=f"{customer.channel}→{channel}: {customer.channel} is not available",
        )
    if channel:
        customer.channel = channel
    return channel


def give_up(
    session: AsyncSession,
    customer: Customer,
    channel: str,
    reason: str,
    at: datetime,
    delivery_id: int | None = None,
) -> str | None:
    """Stops using `channel` for this customer now; records the switch; returns the next one."""
    if channel != "sms":
        customer.exhausted = ",".join(sorted(_exhausted(customer) | {channel}))
    customer.unread_streak = 0
    before = customer.channel or channel
    customer.channel = None
    after = pick(customer)
    customer.channel = after
    events.record(
        session,
        customer.id,
        "switch",
        at,
        channel=after,
        delivery_id=delivery_id,
        detail=f"{before}→{after or 'none'}: {reason}",
    )
    return after


def restore(
    session: AsyncSession, customer: Customer, channel: str, at: datetime, why: str
) -> None:
    """`channel` works again (subscribed on Viber): no longer given up, and it takes over
    from any channel after it in ORDER."""
    customer.exhausted = ",".join(sorted(_exhausted(customer) - {channel}))
    if not usable(customer, channel):
        return
    current = customer.channel
    if current is None or ORDER.index(current) > ORDER.index(channel) or current == channel:
        if current and current != channel:
            events.record(
                session, customer.id, "switch", at, channel=channel,
                detail=f"{current}→{channel}: {why}",
            )  # fmt: skip
        customer.channel = channel
        customer.unread_streak = 0


def on_unread(
    session: AsyncSession,
    customer: Customer,
    channel: str,
    at: datetime,
    in_a_row: int,
    delivery_id: int,
) -> None:
    if customer.channel not in (None, channel):
        return  # already moved on; an old message going unread says nothing new
    customer.unread_streak = (customer.unread_streak or 0) + 1
    if customer.unread_streak >= in_a_row and channel != "sms":
        give_up(session, customer, channel, f"{in_a_row} unread in a row", at, delivery_id)


def on_read(session: AsyncSession, customer: Customer, channel: str, at: datetime) -> None:
    """A read makes `channel` the customer's channel again."""
    if customer.channel and customer.channel != channel and usable(customer, channel):
        events.record(
            session,
            customer.id,
            "switch",
            at,
            channel=channel,
            detail=f"{customer.channel}→{channel}: read in {channel}",
        )
    customer.unread_streak = 0
    customer.exhausted = ""
    if usable(customer, channel):
        customer.channel = channel
