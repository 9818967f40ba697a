"""Everything the offers side needs, passed in once by the composition root."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from prilavok.bot.channel_registry import Channels
from prilavok.bot.clock import Clock, SystemClock
from prilavok.channels.sms import SmsGateway
from prilavok.channels.viber import ViberChannel
from prilavok.consult.kernel.deps import Deps

if TYPE_CHECKING:  # aiogram takes seconds to import; only a configured bot needs it
    from prilavok.channels.telegram import TelegramChannel


@dataclass
class OffersConfig:
    public_url: str = "http://127.0.0.1:8080"
    # Keys the personal page's CSRF tokens; the app passes its secret key (same on every process).
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    telegram_bot_username: str = ""
    telegram_webhook_secret: str = ""
    telegram_staff_chat_id: int | None = None
    viber_token: str = ""
    viber_chat_uri: str = ""
    # A message with no read signal for this long counts as unread.
    unread_after: timedelta = timedelta(hours=24)
    unread_in_a_row: int = 3
    # No offers between these local hours (start > end wraps midnight).
    quiet_from_hour: int = 21
    quiet_to_hour: int = 10
    telegram_per_second: float = 30.0
    telegram_per_chat_seconds: float = 1.0
    # With Redis, the limits above hold for every process together.
    redis_url: str = ""
    redis_prefix: str = "prilavok"
    viber_per_user_hour: int = 100
    sms_max_segments: int = 3  # given to the SMS transport (prilavok/offers.py)
    # A claimed row not finished by then is taken back by any process.
    lease: timedelta = timedelta(minutes=5)
    batch: int = 20
    poll_seconds: float = 1.0
    out_of_stock_recheck: timedelta = timedelta(hours=1)
    remind_after: timedelta = timedelta(days=3)
    # A Viber customer who has not subscribed: their offer waits, looked at again this often
    # (a `subscribed` callback wakes it at once).
    not_subscribed_recheck: timedelta = timedelta(hours=6)
    max_tries: int = 8


@dataclass
class Offers:
    deps: Deps
    config: OffersConfig = field(default_factory=OffersConfig)
    clock: Clock = field(default_factory=SystemClock)
    # The shipped transports by their own types, for what only they do (webhooks, the staff
    # chat, SMS reports); sending goes through `channels`, which holds them too.
    telegram: TelegramChannel | None = None
    viber: ViberChannel | None = None
    sms: SmsGateway | None = None
    channels: Channels = field(default_factory=Channels)

    def __post_init__(self) -> None:
        for name, transport in (
            ("telegram", self.telegram),
            ("viber", self.viber),
            ("sms", self.sms),
        ):
            if transport is not None and name not in self.channels:
                self.channels.register(name, transport)
