"""Due journey steps: found by the index on `journey_timers.due_at`, claimed with a lease,
and a claimed batch taken in one transaction (each step's message planned as a delivery, the
run moved on, the timer moved or removed). A crash before the commit leaves the timers to be
claimed again once the lease ends; after it, the steps are done: no step is lost and none is
taken twice (sending is the delivery worker's, which repeats at most the message in flight).
Memory stays flat: a pass reads a bounded batch.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import journey_defs, links, renewals
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import State
from prilavok.bot.journey_defs import DefinitionIn, StepIn
from prilavok.storage.models import (
    Customer,
    Delivery,
    Journey,
    JourneyRun,
    JourneyTimer,
    Offer,
    ShopEvent,
)

ACTIVITY = ("cart.changed", "product.viewed")


def at_hour(moment: datetime, hour: int, tz: str) -> datetime:
    """The first `hour`:00 in the zone `tz` at or after `moment`."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Moscow")
    local = moment.astimezone(zone)
    target = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if target < local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=zone)
    return target.astimezone(UTC)


class JourneySteps:
    def __init__(self, ctx: Offers, batch: int = 500) -> None:
        self.ctx = ctx
        self.batch = batch
        # Each journey step's offer row, within one pass.
        self._offers: dict[tuple[int, int], Offer] = {}
        # Per pass: the last attempt number per (offer, customer) given out, each customer's
        # last activity and last purchase (see _preload).
        self._attempts: dict[tuple[int, int], int] = {}
        self._activity: dict[int, datetime] = {}
        self._bought: dict[int, datetime] = {}

    async def run_once(self) -> int:
        ids = await self.claim()
        if ids:
            await self.take(ids)
        return len(ids)

    async def claim(self) -> list[int]:
        now = self.ctx.clock.now()
        async with self.ctx.deps.write() as session:
            ids = list(
                await session.scalars(
                    select(JourneyTimer.id)
                    .where(
                        JourneyTimer.due_at <= now,
                        or_(JourneyTimer.lease_until.is_(None), JourneyTimer.lease_until < now),
                    )
                    .order_by(JourneyTimer.due_at)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                await session.execute(
                    update(JourneyTimer)
                    .where(JourneyTimer.id.in_(ids))
                    .values(lease_until=now + self.ctx.config.lease)
                )
        return ids

    async def take(self, ids: list[int]) -> None:
        now = self.ctx.clock.now()
        self._offers = {}
        async with self.ctx.deps.write() as session:
            timers = list(
                await session.scalars(
                    select(JourneyTimer).where(JourneyTimer.id.in_(ids)).order_by(JourneyTimer.id)
                )
            )
            runs = {
                r.id: r
                for r in await session.scalars(
                    select(JourneyRun).where(JourneyRun.id.in_({t.run_id for t in timers}))
                )
            }
            customers = {
                c.id: c
                for c in await session.scalars(
                    select(Customer).where(Customer.id.in_({r.customer_id for r in runs.values()}))
                )
            }
            journeys = {
                j.id: j
                for j in await session.scalars(
                    select(Journey).where(Journey.id.in_({r.journey_id for r in runs.values()}))
                )
            }
            specs = {j.id: journey_defs.definition(j.definition) for j in journeys.values()}
            await self._preload(session, list(customers))
            # One flush at the commit, as batched statements: the queries on the way read
            # events and deliveries, which the steps do not change.
            with session.no_autoflush:
                for timer in timers:
                    run = runs.get(timer.run_id)
                    if run is None or run.state != "active":
                        await session.delete(timer)
                        continue
                    await self._one(
                        session, timer, run, journeys[run.journey_id], specs[run.journey_id],
                        customers[run.customer_id], now,
                    )  # fmt: skip

    async def _one(
        self,
        session: AsyncSession,
        timer: JourneyTimer,
        run: JourneyRun,
        journey: Journey,
        spec: DefinitionIn,
        customer: Customer,
        now: datetime,
    ) -> None:
        if timer.step >= len(spec.steps):
            await self._finish(session, run, "done", None, now, timer)
            return
        step = spec.steps[timer.step]
        later = await self._not_yet(session, run, customer, step, timer, now)
        if later is not None:
            timer.due_at, timer.lease_until = later, None
            return
        why = await self._exit_reason(session, journey, spec, run, customer, step)
        if why is not None:
            await self._finish(session, run, "exited", why, now, timer)
            return
        if run.group == "treated" and not renewals.stale(step, run.context, customer.timezone, now):
            await self._plan(session, journey, spec, run, timer.step, now)
        run.context = {**run.context, "taken": [*run.context.get("taken", []), timer.step]}
        if spec.is_order():
            await session.delete(timer)  # the next status's event sets the next timer
            if step.status in ("delivered", "cancelled"):
                await self._finish(session, run, "done", None, now, None)
            return
        nxt = timer.step + 1
        if nxt >= len(spec.steps):
            await self._finish(session, run, "done", None, now, timer)
            return
        run.step = timer.step = nxt
        by_end = renewals.moment(spec.steps[nxt], run.context, customer.timezone)
        timer.due_at = by_end or self.due(spec.steps[nxt], now, customer.timezone)
        timer.lease_until = None

    async def _preload(self, session: AsyncSession, customer_ids: list[int]) -> None:
        """What the steps ask of each customer, for the whole batch in three queries: the
        last activity, the last purchase, the journey messages' attempt numbers."""
        self._activity, self._bought = {}, {}
        for kinds, into in ((ACTIVITY, self._activity), (("purchase",), self._bought)):
            rows = await session.execute(
                select(ShopEvent.customer_id, func.max(ShopEvent.at))
                .where(ShopEvent.customer_id.in_(customer_ids), ShopEvent.type.in_(kinds))
                .group_by(ShopEvent.customer_id)
            )
            into.update((c, at) for c, at in rows.all() if c is not None)
        rows = await session.execute(
            select(Delivery.offer_id, Delivery.customer_id, func.max(Delivery.attempt))
            .where(Delivery.customer_id.in_(customer_ids), Delivery.run_id.is_not(None))
            .group_by(Delivery.offer_id, Delivery.customer_id)
        )
        self._attempts = {(o, c): n for o, c, n in rows.all()}

    @staticmethod
    def due(step: StepIn, after: datetime, tz: str) -> datetime:
        moment = after + timedelta(minutes=step.wait_minutes)
        return at_hour(moment, step.until_hour, tz) if step.until_hour is not None else moment

    async def _not_yet(
        self,
        session: AsyncSession,
        run: JourneyRun,
        customer: Customer,
        step: StepIn,
        timer: JourneyTimer,
        now: datetime,
    ) -> datetime | None:
        """When a step counted from the customer's last activity is due, if not now (they
        were still browsing), or its hour of the day has not come yet."""
        due = now
        if step.after == "activity":
            last = self._activity.get(customer.id)
            if last is not None:
                due = max(due, last + timedelta(minutes=step.wait_minutes))
        by_end = renewals.moment(step, run.context, customer.timezone)
        if by_end is not None:  # a licence's reminder: that day and hour, or late, now
            due = max(due, by_end)
        elif step.until_hour is not None:
            due = at_hour(due, step.until_hour, customer.timezone)
        return due if due > now else None

    async def _exit_reason(
        self,
        session: AsyncSession,
        journey: Journey,
        spec: DefinitionIn,
        run: JourneyRun,
        customer: Customer,
        step: StepIn,
    ) -> str | None:
        if journey.purpose == "marketing" and "opt_out" in spec.exits and customer.opted_out_at:
            return "opt_out"
        if "no_purchase" in step.conditions:
            bought = self._bought.get(customer.id)
            if (bought is not None and bought >= run.entered_at) or run.ordered_at is not None:
                return "purchase"
        if "cart_not_empty" in step.conditions and not (run.context.get("cart") or {}).get("items"):
            return "cart_empty"
        return None

    async def _plan(
        self,
        session: AsyncSession,
        journey: Journey,
        spec: DefinitionIn,
        run: JourneyRun,
        index: int,
        now: datetime,
    ) -> None:
        """The step's message, as a delivery the worker sends like any other (consent by
        purpose, send window, fallback)."""
        step = spec.steps[index]
        offer = self._offers.get((journey.id, index))
        if offer is None or offer.template != step.template:
            offer = await session.scalar(
                select(Offer)
                .where(
                    Offer.journey_id == journey.id,
                    Offer.step == index,
                    Offer.template == step.template,
                )
                .order_by(Offer.id.desc())
                .limit(1)
            )
        if offer is None or offer.sms_template != step.sms_template:
            offer = Offer(
                shop_id=journey.shop_id,
                title=f"{journey.name}: {step.status or index + 1}",
                sku="",
                template=step.template,
                sms_template=step.sms_template,
                starts_at=now,
                created_at=now,
                purpose=journey.purpose,
                journey_id=journey.id,
                step=index,
            )
            session.add(offer)
            await session.flush()
        self._offers[(journey.id, index)] = offer
        key = (offer.id, run.customer_id)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        session.add(
            Delivery(
                offer_id=offer.id,
                customer_id=run.customer_id,
                attempt=self._attempts[key],
                code=links.new_code(),
                slug="j",
                state=State.SCHEDULED,
                not_before=now,
                tries=0,
                created_at=now,
                run_id=run.id,
            )
        )

    async def _finish(
        self,
        session: AsyncSession,
        run: JourneyRun,
        state: str,
        why: str | None,
        now: datetime,
        timer: JourneyTimer | None,
    ) -> None:
        run.state, run.exit_reason, run.finished_at = state, why, now
        if timer is not None:
            await session.delete(timer)
