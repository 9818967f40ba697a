"""A delivery's states, the machine-readable reasons it waits or failed, and the transitions.

The one place that sets `Delivery.state` and `Delivery.reason`:

    scheduled → sending → sent → delivered → read
                        ↘ scheduled (wait: a reason and a time)   sent/delivered → unread
                        ↘ failed (a reason)                       any sent → switched (a reason)

`reason` is the key the API, the report and the customer's history count by; `note` keeps
the free-text detail a service gave (its error message), for people only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
    REMINDER = "reminder"  # the customer asked to be reminded later
    # Failed for good.
    REJECTED = "rejected"  # the service refused this message (a bad number, say)
    DELIVERY_FAILED = "delivery_failed"  # sent, then reported failed by the service
    BAD_TEMPLATE = "bad_template"
    SUPERSEDED = "superseded"  # a journey's order status overtaken by a newer one
    UNREAD = "unread"  # switched: unread in a row in that channel


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


def _unlease(d: Delivery) -> None:
    d.lease_owner = d.lease_until = None


def wait(d: Delivery, until: datetime, reason: Reason, detail: str | None = None) -> None:
    """Back to scheduled, not before `until`, saying why."""
    d.state, d.not_before, d.reason, d.note = State.SCHEDULED, until, reason, _cut(detail)
    _unlease(d)


def fail(d: Delivery, reason: Reason, detail: str | None = None) -> None:
    d.state, d.reason, d.note = State.FAILED, reason, _cut(detail)
    _unlease(d)


def switch(d: Delivery, reason: Reason, detail: str | None = None) -> None:
    """Given up in its channel; the caller plans the next attempt."""
    d.state, d.reason, d.note = State.SWITCHED, reason, _cut(detail)
    _unlease(d)


def sending(d: Delivery, channel: str, sku: str, lease_until: datetime) -> None:
    d.channel, d.sku, d.lease_until = channel, sku, lease_until
    d.reason = d.note = None
    d.tries = (d.tries or 0) + 1


def read(d: Delivery, at: datetime) -> bool:
    """Marks a sent message read; False when it was not in a readable state."""
    if d.state not in READABLE:
        return False
    d.state, d.read_at = State.READ, at
    d.delivered_at = d.delivered_at or at
    return True


def delivered(d: Delivery, at: datetime) -> None:
    if d.delivered_at is None:
        d.delivered_at = at
    if d.state == State.SENT:
        d.state = State.DELIVERED


def unread(d: Delivery) -> None:
    d.state = State.UNREAD


def outcome(
    state: State, reason: Reason | None = None, detail: str | None = None
) -> dict[str, object]:
    """Column values for a bulk UPDATE after a send (the row is not loaded)."""
    return {
        "state": state,
        "reason": reason,
        "note": _cut(detail),
        "lease_owner": None,
        "lease_until": None,
    }


def _cut(detail: str | None) -> str | None:
    return detail[:500] if detail else None
