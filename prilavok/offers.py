"""Wiring the offers side from settings: transports, limits, the public address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prilavok.bot.clock import Clock, SystemClock
from prilavok.bot.context import Offers, OffersConfig
from prilavok.bot.shop_events import Intake
from prilavok.channels.sms import SmsRu
from prilavok.channels.viber import ViberChannel
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.shop_feed import ShopFeed
from prilavok.settings import Settings


def build(settings: Settings, deps: Deps, clock: Clock | None = None) -> Offers:
    s = settings
    telegram = None
    if s.telegram_token:
        from prilavok.channels.telegram import (
            TelegramChannel,  # aiogram loads slowly: only when used
        )

        telegram = TelegramChannel(s.telegram_token, s.telegram_api_base)
    config = OffersConfig(
        public_url=s.public_url or f"http://{s.host}:{s.port}",
        secret=s.resolved_secret_key(),
        telegram_bot_username=s.telegram_bot_username,
        telegram_webhook_secret=s.telegram_webhook_secret,
        telegram_staff_chat_id=s.telegram_staff_chat_id,
        viber_token=s.viber_token,
        viber_chat_uri=s.viber_chat_uri,
        unread_after=timedelta(hours=s.offers_unread_hours),
        quiet_from_hour=s.offers_quiet_from_hour,
        quiet_to_hour=s.offers_quiet_to_hour,
        telegram_per_second=s.telegram_per_second,
        redis_url=s.redis_url,
        redis_prefix=s.redis_channel,
        sms_max_segments=s.offers_sms_max_segments,
        lease=timedelta(seconds=s.offers_lease_seconds),
    )
    return Offers(
        deps=deps,
        config=config,
        clock=clock or SystemClock(),
        telegram=telegram,
        viber=ViberChannel(s.viber_token, s.viber_api_base, s.viber_sender_name)
        if s.viber_token
        else None,
        sms=SmsRu(
            s.sms_api_key, s.sms_api_base, s.sms_sender, max_segments=s.offers_sms_max_segments
        )
        if s.sms_api_key
        else None,
    )


def widget_feed(intake: Intake, shop_id: str) -> ShopFeed:
    """The widget's identified customers' carts and purchases, as the shop's events."""

    async def feed(events: list[dict[str, Any]]) -> None:
        await intake.take(shop_id, {"events": events}, source="widget")

    return feed
