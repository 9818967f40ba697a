"""A delivery's states, the machine-readable reasons it waits or failed, and the transitions.

The one place that sets `Delivery.state` and `Delivery.reason`; `TRANSITIONS` is the whole
machine and `move` (rows in hand) or `update` (bulk statements) refuse anything else:

    scheduled → sending → sent → delivered → read
        ↑          ↓ ↘ failed (a reason)        ↘ unread → read
        └─ wait ───┘  ↘ switched (a reason)     sent, delivered, unread → switched

`reason` is the key the API, the report and the customer's history count by; `note` keeps
the free-text detail a service gave (its error message), for people only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Update
from sqlalchemy import update as sql_update

from prilavok.storage.models import Delivery


class State(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNREAD = "unread"
    FAILED = "failed"
    SWITCHED = "switched"  # given up in its channel; the next attempt goes by another


class Reason(StrEnum):
    # Nobody to send by: the customer can be reached by no channel this server has.
    NO_CHANNEL = "no_channel"  # no consented channel is configured on this server
    NOT_LINKED = "not_linked"  # consent given, but the messenger account is not linked
    OPTED_OUT = "opted_out"  # the customer said stop (or the shop withdrew every consent)
    BLOCKED = "blocked"  # the customer blocked the bot
    NOT_SUBSCRIBED = "not_subscribed"  # Viber: linked, but not subscribed to the bot
    IGNORED = "ignored"  # unread in a row in every channel they have
    # Waiting for a better time.
    QUIET_HOURS = "quiet_hours"
    OUT_OF_STOCK = "out_of_stock"
    VIBER_HOURLY_LIMIT = "viber_hourly_limit"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"  # the service failed or could not be reached; retried
    BUSY = "busy"  # this server was too loaded to prepare the message in time; retried
    REMINDER = "reminder"  # the customer asked to be reminded later
    # Failed for good.
    REJECTED = "rejected"  # the service refused this message (a bad number, say)
    DELIVERY_FAILED = "delivery_failed"  # sent, then reported failed by the service
    BAD_TEMPLATE = "bad_template"
    SUPERSEDED = "superseded"  # a journey's order status overtaken by a newer one
    UNREAD = "unread"  # switched: unread in a row in that channel


S = State
# Where each state may go. A claimed row whose lease ran out is claimed again (sending →
# sending); a report of failure may come after a message was sent.
TRANSITIONS: dict[State, frozenset[State]] = {
    S.SCHEDULED: frozenset({S.SENDING, S.FAILED}),
    S.SENDING: frozenset({S.SENDING, S.SCHEDULED, S.SENT, S.FAILED, S.SWITCHED}),
    S.SENT: frozenset({S.DELIVERED, S.READ, S.UNREAD, S.FAILED, S.SWITCHED}),
    S.DELIVERED: frozenset({S.READ, S.UNREAD, S.SWITCHED}),
    S.UNREAD: frozenset({S.READ, S.SWITCHED}),
    S.READ: frozenset(),
    S.FAILED: frozenset(),
    S.SWITCHED: frozenset(),
}
# A new row starts here (planning, a journey's step, the next attempt after a switch).
INITIAL = State.SCHEDULED
READABLE = (State.SENT, State.DELIVERED, State.UNREAD)
# Reasons under which a customer cannot be reached at all (the answer to creating an offer).
UNREACHABLE_CUSTOMER = (
    Reason.NO_CHANNEL,
    Reason.NOT_LINKED,
    Reason.OPTED_OUT,
    Reason.BLOCKED,
    Reason.NOT_SUBSCRIBED,
    Reason.IGNORED,
)


class IllegalTransition(ValueError):
    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"a delivery may not go from {source!r} to {target!r}")
        self.source, self.target = source, target


def allowed(source: str, target: State) -> bool:
    try:
        return target in TRANSITIONS[State(source)]
    except ValueError:  # a state this code does not know
        return False


def move(
    d: Delivery, target: State, reason: Reason | None = None, detail: str | None = None
) -> None:
    """The one way a loaded row changes state; refuses what TRANSITIONS does not list."""
    if not allowed(d.state, target):
        raise IllegalTransition(d.state, target)
    d.state = target
    if target != State.SENDING:  # a claim keeps why it waited until the worker decides
        d.reason, d.note = reason, _cut(detail)
    if target != State.SENDING:
        d.lease_owner = d.lease_until = None


def update(
    target: State,
    sources: Iterable[State],
    reason: Reason | None = None,
    detail: str | None = None,
) -> Update:
    """A bulk UPDATE of rows in `sources` to `target` (the caller adds its own WHERE). Every
    source must be allowed to go to `target`; rows in any other state are left alone."""
    sources = tuple(sources)
    for source in sources:
        if not allowed(source, target):
            raise IllegalTransition(source, target)
    values: dict[str, Any] = {"state": target}
    if target != State.SENDING:
        values.update(reason=reason, note=_cut(detail))
    if target != State.SENDING:
        values.update(lease_owner=None, lease_until=None)
    return sql_update(Delivery).where(Delivery.state.in_(sources)).values(**values)


def wait(d: Delivery, until: datetime, reason: Reason, detail: str | None = None) -> None:
    """Back to scheduled, not before `until`, saying why."""
    move(d, State.SCHEDULED, reason, detail)
    d.not_before = until


def fail(d: Delivery, reason: Reason, detail: str | None = None) -> None:
    move(d, State.FAILED, reason, detail)


def switch(d: Delivery, reason: Reason, detail: str | None = None) -> None:
    """Given up in its channel; the caller plans the next attempt."""
    move(d, State.SWITCHED, reason, detail)


def sending(d: Delivery, channel: str, sku: str, lease_until: datetime) -> None:
    """A claimed row decided for sending: no state change, but it no longer waits for anything."""
    if d.state != State.SENDING:
        raise IllegalTransition(d.state, State.SENDING)
    d.channel, d.sku, d.lease_until = channel, sku, lease_until
    d.reason = d.note = None
    d.tries = (d.tries or 0) + 1


def read(d: Delivery, at: datetime) -> bool:
    """Marks a sent message read; False when it was not in a readable state."""
    if not allowed(d.state, State.READ):
        return False
    move(d, State.READ, d.reason)
    d.read_at = at
    d.delivered_at = d.delivered_at or at
    return True


def delivered(d: Delivery, at: datetime) -> None:
    """The service delivered it: stamped whatever the state; sent becomes delivered."""
    if d.delivered_at is None:
        d.delivered_at = at
    if d.state == State.SENT:
        move(d, State.DELIVERED)


def unread(d: Delivery) -> None:
    move(d, State.UNREAD)


def _cut(detail: str | None) -> str | None:
    return detail[:500] if detail else None
