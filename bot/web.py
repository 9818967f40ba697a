"""One call wires the offers side into the app: routes, transports, and the delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from prilavok.bot import calendar_plan, renewals
from prilavok.bot.admin_views import AdminViews
from prilavok.bot.api import Api
from prilavok.bot.calendar_admin import CalendarAdmin
from prilavok.bot.cart_links import CartLinks
from prilavok.bot.context import Offers
from prilavok.bot.journey_admin import JourneyAdmin
from prilavok.bot.journey_entry import on_events
from prilavok.bot.pages import Pages
from prilavok.bot.renewal_links import RenewalLinks
from prilavok.bot.shop_events import Intake, Listener
from prilavok.bot.sms_callbacks import SmsCallbacks
from prilavok.bot.viber_webhook import ViberWebhook
from prilavok.bot.worker import DeliveryWorker
from prilavok.bot.yml_feed import FeedSchedule
from prilavok.storage.models import CalendarRule

log = logging.getLogger(__name__)

OFFERS = web.AppKey("offers", Offers)
WORKER = web.AppKey("offers_worker", DeliveryWorker)
INTAKE = web.AppKey("shop_events", Intake)
FEEDS = web.AppKey("yml_feeds", FeedSchedule)
# What every stored batch of shop events goes through, in order (the bench takes the same).
# Renewals close a licence's earlier term after the journeys have entered the batch.
# Purchases also feed the offer calendar's history.
LISTENERS: tuple[Listener, ...] = (on_events, renewals.on_events, calendar_plan.on_events)
FEED_POLL_SECONDS = 60
CALENDAR_EVERY_SECONDS = 3600
TELEGRAM_WEBHOOK = "/bot/telegram/webhook"
VIBER_WEBHOOK = "/bot/viber/webhook"


def setup(
    app: web.Application,
    ctx: Offers,
    *,
    static_dir: Path,
    node_id: str,
    run_worker: bool = True,
    sms_callback_secret: str = "",
) -> None:
    app[OFFERS] = ctx
    worker = app[WORKER] = DeliveryWorker(ctx, node_id)
    intake = app[INTAKE] = Intake(ctx, list(LISTENERS))
    CartLinks(ctx).register(app)
    RenewalLinks(ctx).register(app)
    JourneyAdmin(ctx, static_dir).register(app)
    CalendarAdmin(ctx, static_dir).register(app)
    feeds = app[FEEDS] = FeedSchedule(ctx)
    Api(ctx, intake, feeds).register(app)
    Pages(ctx).register(app)
    AdminViews(ctx, static_dir).register(app)
    if ctx.viber is not None:
        app.router.add_post(VIBER_WEBHOOK, ViberWebhook(ctx).handle)
    if ctx.telegram is not None:
        if ctx.config.telegram_webhook_secret:
            from prilavok.bot.telegram_bot import build_dispatcher
            from prilavok.bot.telegram_webhook import TelegramWebhook

            # aiogram's handler refuses (401) an update without the right secret header; it
            # answers only after handling, so a failed update is retried by Telegram, and a
            # malformed one is answered 200 and ignored (bot/telegram_webhook.py).
            TelegramWebhook(
                dispatcher=build_dispatcher(ctx),
                bot=ctx.telegram.bot,
                secret_token=ctx.config.telegram_webhook_secret,
                handle_in_background=False,
            ).register(app, path=TELEGRAM_WEBHOOK)
        else:
            log.warning("no telegram webhook secret: the webhook is off (use `prilavok bot poll`)")
    if ctx.sms is not None and sms_callback_secret:
        SmsCallbacks(ctx, sms_callback_secret).register(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        for channel in ctx.channels:
            await channel.transport.open()
        # Without the worker (tests, `prilavok offers run-once`) nothing runs by itself.
        tasks = (
            [asyncio.create_task(job) for job in (worker.run(), _feeds(feeds), _calendar(ctx))]
            if run_worker
            else []
        )
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await worker.close()
        for channel in ctx.channels:
            await channel.transport.close()

    app.cleanup_ctx.append(lifecycle)


async def _feeds(feeds: FeedSchedule) -> None:
    """Catalog feeds by URL, looked at once a minute; a failure is logged and tried again."""
    while True:
        try:
            await feeds.run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("feed pass failed")
        await asyncio.sleep(FEED_POLL_SECONDS)


async def _calendar(ctx: Offers) -> None:
    """The offer calendar's pass for every shop with rules, once an hour; on several
    processes each may run it: a plan is unique per (rule, purchase), so a race is refused
    by the database and the next pass goes on."""
    while True:
        try:
            async with ctx.deps.sessions() as session:
                shops = list(
                    await session.scalars(
                        select(CalendarRule.shop_id).where(CalendarRule.enabled).distinct()
                    )
                )
            for shop in shops:
                await calendar_plan.plan(ctx, shop)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("calendar pass failed")
        await asyncio.sleep(CALENDAR_EVERY_SECONDS)
