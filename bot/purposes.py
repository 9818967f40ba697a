"""Consent by purpose. Marketing (offers, abandoned carts) needs the customer's consent in a
channel and stops at any stop word; service messages (order status) need no consent, go by any
channel the customer linked or by SMS, and stop only when the customer refuses them in
particular. Russian advertising law asks consent for the first kind, not for the second."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from prilavok.bot import fallback
from prilavok.bot.delivery_states import Reason
from prilavok.storage.models import Customer


class Purpose(StrEnum):
    MARKETING = "marketing"
    SERVICE = "service"


def service_usable(customer: Customer, channel: str) -> bool:
    """A channel a service message may take: linked (and reachable), or the phone for SMS."""
    if customer.service_opted_out_at is not None:
        return False
    if channel == "telegram":
        return customer.telegram_chat_id is not None and not customer.telegram_blocked
    if channel == "viber":
        return bool(customer.viber_user_id) and customer.viber_subscribed is not False
    return bool(customer.phone)


def pick(
    customer: Customer, purpose: Purpose, configured: Collection[str] = fallback.ORDER
) -> str | None:
    """The channel for the next message of this purpose, or None."""
    if purpose == Purpose.MARKETING:
        return fallback.pick(customer, configured)
    for channel in fallback.ORDER:
        if channel in configured and service_usable(customer, channel):
            return channel
    return None


def why_none(
    customer: Customer, purpose: Purpose, configured: Collection[str] = fallback.ORDER
) -> Reason:
    if purpose == Purpose.MARKETING:
        return fallback.why_none(customer, configured)
    if customer.service_opted_out_at is not None:
        return Reason.OPTED_OUT
    return Reason.NO_CHANNEL
