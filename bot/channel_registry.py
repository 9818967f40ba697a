"""The channels offers go by, in order of preference: each one a transport (channels/) and what
the offers side knows of reaching a customer through it.

The worker, compose and fallback look a channel up here by name and ask it; none of them
names a channel. Adding one is a transport and a `register` call (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from prilavok.bot.delivery_states import Reason
from prilavok.channels.message import Transport
from prilavok.storage.models import Customer

if TYPE_CHECKING:
    from prilavok.bot.context import OffersConfig


def _never(customer: Customer) -> Reason | None:
    return None


def _no_pace(config: OffersConfig) -> tuple[float, float]:
    return 0.0, 0.0


@dataclass(frozen=True)
class Reach:
    """How the offers side finds a customer in one channel."""

    # Where the customer is in this channel; None: not linked.
    address: Callable[[Customer], str | None]
    # Marketing consent for this channel (service messages need none).
    consent: Callable[[Customer], bool]
    # Linked, but the service will not deliver now (blocked, not subscribed).
    refusal: Callable[[Customer], Reason | None] = _never
    # What a refusal from the service (Blocked → BLOCKED, NotSubscribed) records on the customer.
    refused: Callable[[Customer, Reason], None] | None = None
    # Sends a second, per-second overall and seconds between two to one recipient.
    pace: Callable[[OffersConfig], tuple[float, float]] = _no_pace
    # At most this many an hour to a customer who has not answered since (Viber's rule).
    unanswered_per_hour: Callable[[OffersConfig], int] | None = None
    answered_at: Callable[[Customer], datetime | None] = lambda c: None
    # Texts are paid by length: the offer's short (SMS) template is used.
    short: bool = False
    # The last resort: never given up for being unread.
    last_resort: bool = False

    def usable(self, customer: Customer) -> bool:
        """Linked and able to receive (consent aside)."""
        return bool(self.address(customer)) and self.refusal(customer) is None


def _telegram_refused(customer: Customer, reason: Reason) -> None:
    if reason == Reason.BLOCKED:
        customer.telegram_blocked = True


def _viber_refused(customer: Customer, reason: Reason) -> None:
    if reason == Reason.NOT_SUBSCRIBED:
        customer.viber_subscribed = False


TELEGRAM = Reach(
    address=lambda c: None if c.telegram_chat_id is None else str(c.telegram_chat_id),
    consent=lambda c: bool(c.consent_telegram),
    refusal=lambda c: Reason.BLOCKED if c.telegram_blocked else None,
    refused=_telegram_refused,
    pace=lambda cfg: (cfg.telegram_per_second, cfg.telegram_per_chat_seconds),
)
VIBER = Reach(
    address=lambda c: c.viber_user_id or None,
    consent=lambda c: bool(c.consent_viber),
    refusal=lambda c: Reason.NOT_SUBSCRIBED if c.viber_subscribed is False else None,
    refused=_viber_refused,
    unanswered_per_hour=lambda cfg: cfg.viber_per_user_hour,
    answered_at=lambda c: c.viber_replied_at,
)
SMS = Reach(
    address=lambda c: c.phone or None,
    consent=lambda c: bool(c.consent_sms),
    short=True,
    last_resort=True,
)
# The shipped channels, in order of preference: what the server knows even without a token.
KNOWN: Mapping[str, Reach] = {"telegram": TELEGRAM, "viber": VIBER, "sms": SMS}


@dataclass(frozen=True)
class Channel:
    name: str
    transport: Transport
    reach: Reach


class Channels:
    """The channels this server can send by (each has its transport), in order of preference."""

    def __init__(self) -> None:
        self._by_name: dict[str, Channel] = {}

    def register(
        self, name: str, transport: Transport, reach: Reach | None = None, *, before: str = ""
    ) -> Channel:
        """Adds a channel (last, or before `before`); a shipped one needs no `reach`."""
        found = reach or KNOWN.get(name)
        if found is None:
            raise ValueError(f"channel {name!r} needs a Reach")
        if name in self._by_name:
            raise ValueError(f"channel {name!r} is registered already")
        channel = Channel(name, transport, found)
        entries = list(self._by_name.values())
        at = next((i for i, c in enumerate(entries) if c.name == before), len(entries))
        entries.insert(at, channel)
        self._by_name = {c.name: c for c in entries}
        return channel

    def remove(self, name: str) -> Channel | None:
        return self._by_name.pop(name, None)

    def get(self, name: str) -> Channel | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> Channel:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Channel]:
        return iter(list(self._by_name.values()))

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def reaches(self) -> dict[str, Reach]:
        """name → Reach of the channels here, in order (what fallback chooses among)."""
        return {c.name: c.reach for c in self._by_name.values()}
