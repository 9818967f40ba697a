"""Silence and service reports: a message with no read signal within the window becomes unread
(three in a row may switch the customer's channel), and channels that report delivery (SMS) are
asked about their recent messages. Part of every delivery pass (bot/worker.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from prilavok.bot import delivery_states as states
from prilavok.bot import fallback, signals
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import State
from prilavok.channels.errors import Unreachable
from prilavok.channels.message import Reporting
from prilavok.storage.models import Customer, Delivery

log = logging.getLogger(__name__)

REPORTS_POLL_EVERY = timedelta(minutes=1)
REPORTS_FOR = timedelta(days=3)


class Silence:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx
        self._polled: datetime | None = None

    async def expire_unread(self) -> int:
        """Messages with no read signal within the window become unread; that may switch."""
        now = self.ctx.clock.now()
        cutoff = now - self.ctx.config.unread_after
        async with self.ctx.deps.write() as session:
            rows = list(
                await session.scalars(
                    select(Delivery)
                    .where(
                        Delivery.state.in_((State.SENT, State.DELIVERED)),
                        Delivery.sent_at < cutoff,
                    )
                    .order_by(Delivery.sent_at, Delivery.id)
                    .limit(500)
                    .with_for_update(skip_locked=True)
                )
            )
            for d in rows:
                states.unread(d)
                customer = await session.get(Customer, d.customer_id, with_for_update=True)
                if customer is not None and d.channel:
                    fallback.on_unread(
                        session,
                        customer,
                        d.channel,
                        now,
                        self.ctx.config.unread_in_a_row,
                        d.id,
                        self.ctx.channels.reaches(),
                    )
        return len(rows)

    async def poll_reports(self) -> None:
        """Asks each reporting channel (SMS) about its recently sent messages, once a minute."""
        now = self.ctx.clock.now()
        if self._polled and now - self._polled < REPORTS_POLL_EVERY:
            return
        self._polled = now
        for channel in self.ctx.channels:
            if isinstance(channel.transport, Reporting):
                await self._poll(channel.name, channel.transport, now)

    async def _poll(self, name: str, transport: Reporting, now: datetime) -> None:
        async with self.ctx.deps.sessions() as session:
            ids = list(
                await session.scalars(
                    select(Delivery.provider_id)
                    .where(
                        Delivery.channel == name,
                        Delivery.state == State.SENT,
                        Delivery.sent_at > now - REPORTS_FOR,
                    )
                    .limit(200)
                )
            )
        if not ids:
            return
        try:
            found = await transport.statuses([i for i in ids if i])
        except Unreachable:
            log.warning("%s status poll failed", name, exc_info=True)
            return
        await signals.statuses(self.ctx, name, found)
