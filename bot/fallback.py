"""Which channel a customer's next offer takes, and when that changes.

Order of preference: the channel registry's (Telegram, Viber, SMS). Three unread in a row in a
channel, a block, an unsubscribe or a failed delivery gives that channel up; a read makes its
channel current again and forgets what was given up. The last resort (SMS) is never given up
for being unread. What each channel needs of a customer is its `Reach` (bot/channel_registry).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import events
from prilavok.bot.channel_registry import KNOWN, Reach
from prilavok.bot.delivery_states import Reason
from prilavok.storage.models import Customer

# The channels to choose among, in order: the registry's (`Channels.reaches()`); by default
# every shipped channel.
Reaches = Mapping[str, Reach]


def usable(customer: Customer, channel: str, reaches: Reaches = KNOWN) -> bool:
    """Consented, linked, and able to receive (not blocked, subscribed on Viber)."""
    reach = reaches.get(channel) or KNOWN.get(channel)
    if customer.opted_out_at is not None or reach is None:
        return False
    return reach.consent(customer) and reach.usable(customer)


def _exhausted(customer: Customer) -> set[str]:
    return {c for c in (customer.exhausted or "").split(",") if c}


def pick(customer: Customer, reaches: Reaches = KNOWN) -> str | None:
    """The channel to use now: the current one while it works, else the first that does.
    Only channels this server can send by (in `reaches`) count."""
    given_up = _exhausted(customer)

    def works(channel: str) -> bool:
        return channel in reaches and channel not in given_up and usable(customer, channel, reaches)

    if customer.channel and works(customer.channel):
        return customer.channel
    return next((channel for channel in reaches if works(channel)), None)


def why_none(customer: Customer, reaches: Reaches = KNOWN) -> Reason:
    """Why pick() found no channel: the most useful thing to tell the shop."""
    if customer.opted_out_at is not None:
        return Reason.OPTED_OUT
    known = {**KNOWN, **reaches}
    consented = [name for name, reach in known.items() if reach.consent(customer)]
    if not consented:
        return Reason.OPTED_OUT
    here = [reaches[name] for name in consented if name in reaches]
    if not here:
        return Reason.NO_CHANNEL
    found = set()
    for reach in here:
        if not reach.address(customer):
            found.add(Reason.NOT_LINKED)
        else:
            found.add(reach.refusal(customer) or Reason.IGNORED)
    for reason in (Reason.NOT_SUBSCRIBED, Reason.BLOCKED, Reason.IGNORED):
        if reason in found:
            return reason
    return Reason.NOT_LINKED


def choose(
    session: AsyncSession, customer: Customer, at: datetime, reaches: Reaches = KNOWN
) -> str | None:
    """pick(), recording a switch when the customer's channel changes because it stopped working."""
    channel = pick(customer, reaches)
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
    reaches: Reaches = KNOWN,
) -> str | None:
    """Stops using `channel` for this customer now; records the switch; returns the next one."""
    reach = reaches.get(channel) or KNOWN.get(channel)
    if reach is None or not reach.last_resort:
        customer.exhausted = ",".join(sorted(_exhausted(customer) | {channel}))
    customer.unread_streak = 0
    before = customer.channel or channel
    customer.channel = None
    after = pick(customer, reaches)
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
    session: AsyncSession,
    customer: Customer,
    channel: str,
    at: datetime,
    why: str,
    reaches: Reaches = KNOWN,
) -> None:
    """`channel` works again (subscribed on Viber): no longer given up, and it takes over
    from any channel after it in the order of preference."""
    customer.exhausted = ",".join(sorted(_exhausted(customer) - {channel}))
    if not usable(customer, channel, reaches):
        return
    order = list(reaches)
    current = customer.channel

    def rank(name: str) -> int:
        return order.index(name) if name in order else len(order)

    if current is None or rank(current) > rank(channel) or current == channel:
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
    reaches: Reaches = KNOWN,
) -> None:
    if customer.channel not in (None, channel):
        return  # already moved on; an old message going unread says nothing new
    customer.unread_streak = (customer.unread_streak or 0) + 1
    reach = reaches.get(channel) or KNOWN.get(channel)
    if customer.unread_streak >= in_a_row and not (reach and reach.last_resort):
        give_up(session, customer, channel, f"{in_a_row} unread in a row", at, delivery_id, reaches)


def on_read(
    session: AsyncSession, customer: Customer, channel: str, at: datetime, reaches: Reaches = KNOWN
) -> None:
    """A read makes `channel` the customer's channel again."""
    if customer.channel and customer.channel != channel and usable(customer, channel, reaches):
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
    if usable(customer, channel, reaches):
        customer.channel = channel
