"""The delivery worker: claims due rows, sends them, and turns silence into "unread".

Safe with several processes: rows are claimed (FOR UPDATE SKIP LOCKED on PostgreSQL, behind
the write lock on SQLite) and leased until `lease_until`; a crashed process's claims come back
when the lease runs out, so at most the message that was in flight is sent twice. Nothing is
held in memory between passes except pacing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from prilavok.bot import (
    calendar_plan,
    catalog,
    fallback,
    journey_compose,
    journey_defs,
    message_templates,
    planning,
    purposes,
    quiet_hours,
)
from prilavok.bot import delivery_states as states
from prilavok.bot.channel_registry import Channel
from prilavok.bot.compose import Outgoing, compose_off_loop
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import Reason, State
from prilavok.bot.journey_steps import JourneySteps
from prilavok.bot.limits import Pacer
from prilavok.bot.purposes import Purpose
from prilavok.bot.shared_pace import PaceUnavailable, SharedPacer, pacer_for
from prilavok.bot.silence import Silence
from prilavok.channels.errors import (
    Blocked,
    ChannelError,
    NotSubscribed,
    RateLimited,
    Rejected,
    Unreachable,
)
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Customer, Delivery, Journey, JourneyRun, Offer, Product

log = logging.getLogger(__name__)

# A journey step's message is filled from: the run, similar goods, the cart URL, the contact.
JourneyStep = tuple[JourneyRun, list[dict[str, Any]], str | None, str]
PACE_RETRY_SECONDS = 5


def backoff(tries: int) -> timedelta:
    """The wait before the next try after `tries` failed ones: 10 s, doubling, at most an hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, tries - 1)))


class DeliveryWorker:
    def __init__(self, ctx: Offers, node_id: str) -> None:
        self.ctx = ctx
        self.node_id = node_id
        # Pacing per channel, made on its first send (a channel may be registered later); with
        # Redis, every process paces against the same books (bot/shared_pace.py).
        self.pacers: dict[str, Pacer | SharedPacer] = {}
        self.silence = Silence(ctx)
        self.journeys = JourneySteps(ctx)
        # For /readyz: whether the loop runs, when it last began or ended a pass, the last error.
        self.running = False
        self.beat = 0.0
        self.failure: str | None = None

    async def close(self) -> None:
        for pacer in self.pacers.values():
            if isinstance(pacer, SharedPacer):
                await pacer.close()

    async def run(self) -> None:
        """Forever: a pass, then a nap when there was nothing to do."""
        self.running = True
        try:
            await self._loop()
        finally:
            self.running = False

    async def _loop(self) -> None:
        while True:
            self.beat = time.monotonic()
            try:
                busy = await self.run_once()
                self.failure = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next pass tries again; rows stay leased or scheduled
                log.exception("delivery pass failed")
                self.failure = f"{type(exc).__name__}: {exc}"[:200]
                busy = 0
            self.beat = time.monotonic()
            if not busy:
                await asyncio.sleep(self.ctx.config.poll_seconds)

    async def run_once(self) -> int:
        """One pass; returns how many rows it worked (unread ones included)."""
        # Due journey steps first: the messages they plan go out in this same pass.
        done = await self.journeys.run_once()
        done += await self.silence.expire_unread()
        await self.silence.poll_reports()
        claimed = await self.claim()
        for out in await self._prepare(claimed):
            await self.deliver(out)
        return done + len(claimed)

    async def drain(self, max_passes: int = 10_000) -> None:
        """Passes until nothing is due (tests, and `prilavok offers run-once`)."""
        for _ in range(max_passes):
            if not await self.run_once():
                return

    # ---- claiming ----

    async def claim(self) -> list[int]:
        now = self.ctx.clock.now()
        due = or_(
            and_(Delivery.state == State.SCHEDULED, Delivery.not_before <= now),
            and_(Delivery.state == State.SENDING, Delivery.lease_until < now),
        )
        async with self.ctx.deps.write() as session:
            ids = list(
                await session.scalars(
                    select(Delivery.id)
                    .where(due)
                    .order_by(Delivery.not_before, Delivery.id)
                    .limit(self.ctx.config.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                await session.execute(
                    states.update(State.SENDING, (State.SCHEDULED, State.SENDING))
                    .where(Delivery.id.in_(ids))
                    .values(lease_owner=self.node_id, lease_until=now + self.ctx.config.lease)
                )
        return ids

    # ---- one delivery ----

    async def deliver(self, out: Outgoing) -> None:
        """Sends one prepared message and records the outcome at once (one row in flight)."""
        delivery_id, channel = out.delivery_id, out.channel
        pacer = self._pacer(channel)
        try:
            async with pacer.turn(out.message.to):
                provider_id = await self._send(out)
        except RateLimited as exc:
            await pacer.pause(exc.retry_after)
            wait = timedelta(seconds=exc.retry_after)
            await self._release(delivery_id, Reason.RATE_LIMITED, str(exc), wait, count_try=False)
        except PaceUnavailable as exc:  # Redis is away: not sent, back in a few seconds
            wait = timedelta(seconds=PACE_RETRY_SECONDS)
            await self._release(delivery_id, Reason.RATE_LIMITED, str(exc), wait, count_try=False)
        except NotSubscribed as exc:
            await self._gone(delivery_id, channel, Reason.NOT_SUBSCRIBED, str(exc))
        except Blocked as exc:
            await self._gone(delivery_id, channel, Reason.BLOCKED, str(exc))
        except Unreachable as exc:
            await self._release(delivery_id, Reason.UNREACHABLE, str(exc), None, count_try=True)
        except Rejected as exc:
            await self._finish(delivery_id, State.FAILED, Reason.REJECTED, str(exc))
        except ChannelError as exc:  # a kind this worker does not know: as an outage
            await self._release(delivery_id, Reason.UNREACHABLE, str(exc), None, count_try=True)
        else:
            await self._finish(delivery_id, State.SENT, provider_id=provider_id)

    async def _send(self, out: Outgoing) -> str:
        channel = self.ctx.channels.get(out.channel)
        if channel is None:  # removed since the row was decided: try again later
            raise Unreachable(f"{out.channel} is not configured")
        return (await channel.transport.send(out.message)).provider_id

    def _pacer(self, name: str) -> Pacer | SharedPacer:
        if name not in self.pacers:
            channel, cfg = self.ctx.channels.get(name), self.ctx.config
            pace = channel.reach.pace(cfg) if channel else (0.0, 0.0)
            self.pacers[name] = pacer_for(
                cfg.redis_url, cfg.redis_prefix, self.ctx.clock, name, pace
            )
        return self.pacers[name]

    async def _prepare(self, ids: list[int]) -> list[Outgoing]:
        """Decides, in one transaction, whether and how each claimed row goes out now."""
        if not ids:
            return []
        now = self.ctx.clock.now()
        offers: dict[int, Offer | None] = {}
        stock: dict[tuple[str, str], Product | None] = {}
        out: list[Outgoing] = []
        async with self.ctx.deps.write() as session:
            rows = await session.scalars(
                select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
            )
            claimed = list(rows)
            customers = {
                c.id: c
                for c in await session.scalars(
                    select(Customer)
                    .where(Customer.id.in_({d.customer_id for d in claimed}))
                    .with_for_update()
                )
            }
            for d in claimed:
                if d.state != State.SENDING or d.lease_owner != self.node_id:
                    continue  # taken over by another process after our lease ran out
                if d.offer_id not in offers:
                    offers[d.offer_id] = await session.get(Offer, d.offer_id)
                offer = offers[d.offer_id]
                assert offer is not None
                # A calendar's offer names its good per customer, in the delivery.
                key = (offer.shop_id, offer.sku or d.sku or "")
                if key not in stock:
                    stock[key] = await catalog.available(session, *key) if key[1] else None
                step = await self._journey_step(session, d, offer) if d.run_id else None
                # A calendar offer (its good named in the delivery) follows a purchase.
                bought = await calendar_plan.bought(session, d) if not offer.sku else None
                one = await self._decide(
                    session, d, customers[d.customer_id], offer, stock[key], now, step, bought
                )
                if one is not None:
                    out.append(one)
        return out

    async def _decide(
        self,
        session: Any,
        d: Delivery,
        customer: Customer,
        offer: Offer,
        product: Product | None,
        now: datetime,
        step: JourneyStep | None = None,
        bought: dict[str, Any] | None = None,
    ) -> Outgoing | None:
        cfg = self.ctx.config
        purpose = Purpose(offer.purpose)
        reaches = self.ctx.channels.reaches()
        if purposes.pick(customer, purpose, reaches) is None:
            why = purposes.why_none(customer, purpose, reaches)
            if why == Reason.NOT_SUBSCRIBED:  # may subscribe any time: wait, look again
                states.wait(d, now + cfg.not_subscribed_recheck, why)
            else:
                states.fail(d, why)
            return None
        night_ends = quiet_hours.next_allowed(
            now, customer.timezone, cfg.quiet_from_hour, cfg.quiet_to_hour
        )
        if night_ends is not None:
            states.wait(d, night_ends, Reason.QUIET_HOURS)
            return None
        if product is None and (offer.sku or d.sku):
            states.wait(d, now + cfg.out_of_stock_recheck, Reason.OUT_OF_STOCK)
            return None
        if purpose == Purpose.MARKETING:
            name = fallback.choose(session, customer, now, reaches)
        else:  # service: any linked channel or SMS, whatever marketing consent says
            name = purposes.pick(customer, purpose, reaches)
        assert name is not None  # pick() found one above, on the same row
        channel = self.ctx.channels[name]
        wait_until = await self._unanswered_quota(session, customer, channel, now)
        if wait_until is not None:
            states.wait(d, wait_until, Reason.VIBER_HOURLY_LIMIT)
            return None
        try:
            # Every render on the template threads: a template at its limits never holds the loop.
            if step is not None:
                out = await message_templates.off_loop(
                    journey_compose.compose, cfg, channel, d, customer, offer, *step
                )
            else:
                assert product is not None
                out = await compose_off_loop(cfg, channel, d, customer, offer, product, bought)
        except message_templates.RenderBusy as exc:
            # The process was too busy, not the template too costly: render it again later.
            # A render that never finishes (a thread held for good) fails like an outage.
            # Counted as a try, as in _release: failed when the count reaches max_tries.
            d.tries = (d.tries or 0) + 1
            if d.tries >= cfg.max_tries:
                states.fail(d, Reason.BAD_TEMPLATE, f"{exc.message} ({d.tries} times)")
            else:
                states.wait(d, now + backoff(d.tries), Reason.BUSY, exc.message)
            return None
        except ConsultError as exc:
            states.fail(d, Reason.BAD_TEMPLATE, exc.message)
            return None
        states.sending(d, name, product.sku if product else "", now + cfg.lease)
        return out

    async def _journey_step(self, session: Any, d: Delivery, offer: Offer) -> JourneyStep | None:
        """What a journey's message is filled from: its run, similar goods, the cart link."""
        run = await session.get(JourneyRun, d.run_id)
        journey = await session.get(Journey, offer.journey_id) if offer.journey_id else None
        if run is None or journey is None:
            return None
        spec = journey_defs.definition(journey.definition)
        found = await journey_compose.similar(session, offer.shop_id, run)
        return run, found, spec.cart_url, spec.contact

    async def _unanswered_quota(
        self, session: Any, customer: Customer, channel: Channel, now: datetime
    ) -> datetime | None:
        """Where the channel says so (Viber): at most N messages an hour to a customer who
        has not answered since. Returns when the next one may go, or None: now."""
        if channel.reach.unanswered_per_hour is None:
            return None
        since = now - timedelta(hours=1)
        answered = channel.reach.answered_at(customer)
        if answered and answered > since:
            since = answered
        count, first = (
            await session.execute(
                select(func.count(), func.min(Delivery.sent_at)).where(
                    Delivery.customer_id == customer.id,
                    Delivery.channel == channel.name,
                    # Rows decided for sending in this pass count too.
                    or_(Delivery.sent_at > since, Delivery.state == State.SENDING),
                )
            )
        ).one()
        if count < channel.reach.unanswered_per_hour(self.ctx.config):
            return None
        return (first or now) + timedelta(hours=1)

    async def _finish(
        self,
        delivery_id: int,
        target: State,
        reason: Reason | None = None,
        detail: str | None = None,
        *,
        provider_id: str | None = None,
    ) -> None:
        """The send's outcome, for the row still in flight (one update, the row not loaded)."""
        change = states.update(target, (State.SENDING,), reason, detail)
        if provider_id is not None:
            change = change.values(provider_id=provider_id, sent_at=self.ctx.clock.now())
        async with self.ctx.deps.write() as session:
            await session.execute(change.where(Delivery.id == delivery_id))

    async def _release(
        self,
        delivery_id: int,
        reason: Reason,
        detail: str,
        wait: timedelta | None,
        *,
        count_try: bool,
    ) -> None:
        """Back to scheduled: after `wait`, or after a back-off that grows with the tries."""
        now = self.ctx.clock.now()
        async with self.ctx.deps.write() as session:
            d = await session.get(Delivery, delivery_id, with_for_update=True)
            if d is None or d.state != State.SENDING:
                return
            if not count_try:
                d.tries = max(0, (d.tries or 1) - 1)
            elif d.tries >= self.ctx.config.max_tries:
                states.fail(d, reason, detail)
                return
            if wait is None:
                wait = backoff(d.tries)
            states.wait(d, now + wait, reason, detail)

    async def _gone(self, delivery_id: int, channel: str, reason: Reason, why: str) -> None:
        """Blocked, or not subscribed on Viber: switch at once and send this offer by the next
        channel. Not subscribed is not a block: a `subscribed` callback brings Viber back."""
        now = self.ctx.clock.now()
        async with self.ctx.deps.write() as session:
            d = await session.get(Delivery, delivery_id, with_for_update=True)
            if d is None or d.state != State.SENDING:
                return
            customer = await session.get(Customer, d.customer_id, with_for_update=True)
            assert customer is not None
            reaches = self.ctx.channels.reaches()
            reach = reaches.get(channel)
            if reach is not None and reach.refused is not None:
                reach.refused(customer, reason)
            states.switch(d, reason, why)
            fallback.give_up(
                session, customer, channel, f"{reason}: {why}"[:200], now, d.id, reaches
            )
            await planning.next_attempt(session, d, now, now)
