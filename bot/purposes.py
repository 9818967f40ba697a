"""Consent by purpose. Marketing (offers, abandoned carts) needs the customer's consent in a
channel and stops at any stop word; service messages (order status) need no consent, go by any
channel the customer linked or by SMS, and stop only when the customer refuses them in
particular. Russian advertising law asks consent for the first kind, not for the second."""

from __future__ import annotations

from enum import StrEnum

from prilavok.bot import fallback
from prilavok.bot.channel_registry import KNOWN
from prilavok.bot.delivery_states import Reason
from prilavok.bot.fallback import Reaches
from prilavok.storage.models import Customer


class Purpose(StrEnum):
    MARKETING = "marketing"
    SERVICE = "service"


def pick(customer: Customer, purpose: Purpose, reaches: Reaches = KNOWN) -> str | None:
    """The channel for the next message of this purpose, or None. A service message takes
    any channel the customer is linked and reachable in (the phone, for SMS)."""
    if purpose == Purpose.MARKETING:
        return fallback.pick(customer, reaches)
    if customer.service_opted_out_at is not None:
        return None
    return next((name for name, reach in reaches.items() if reach.usable(customer)), None)


def why_none(customer: Customer, purpose: Purpose, reaches: Reaches = KNOWN) -> Reason:
    if purpose == Purpose.MARKETING:
        return fallback.why_none(customer, reaches)
    if customer.service_opted_out_at is not None:
        return Reason.OPTED_OUT
    return Reason.NO_CHANNEL
