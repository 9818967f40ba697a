"""Events into journeys, in the transaction that stores them: a trigger enters the customer
once per trigger key (the cart, the order), a purchase exits and counts as ordered, a new
order status schedules that status's message and drops an older one not yet sent.

Runs and timers are written in bulk per batch, so hundreds of thousands of events enter in
seconds; nothing is kept in memory between batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import delivery_states as states
from prilavok.bot import journey_defs, renewals
from prilavok.bot.delivery_states import Reason, State
from prilavok.bot.journey_defs import DefinitionIn
from prilavok.bot.shop_events import Stored
from prilavok.storage.models import Delivery, Journey, JourneyRun, JourneyTimer

# A purchase this long after entering still counts as the journey's order (and the control's).
ATTRIBUTION = timedelta(days=7)


async def shipped(session: AsyncSession, shop_id: str, now: datetime) -> list[Journey]:
    """The shop's journeys; the two shipped ones are added the first time it is seen."""
    found = list(await session.scalars(select(Journey).where(Journey.shop_id == shop_id)))
    have = {j.key for j in found}
    for key, raw in journey_defs.SHIPPED.items():
        if key in have:
            continue
        spec = journey_defs.parse(raw)
        journey = Journey(
            shop_id=shop_id,
            key=key,
            name=spec.name,
            enabled=spec.enabled,
            purpose=spec.purpose,
            holdout_percent=spec.holdout_percent,
            definition=spec.definition.model_dump(mode="json", by_alias=True),
            updated_at=now,
        )
        session.add(journey)
        found.append(journey)
    await session.flush()
    return found


def in_control(journey_id: int, customer_id: int, key: str, percent: int) -> bool:
    """The holdout, stable for a run: the same customer and key always fall the same way."""
    digest = hashlib.sha256(f"{journey_id}:{customer_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


async def on_events(session: AsyncSession, batch: Sequence[Stored], now: datetime) -> None:
    known = [s for s in batch if s.customer_id is not None]
    if not known:
        return
    journeys = [j for j in await shipped(session, batch[0].shop_id, now) if j.enabled]
    specs = {j.id: journey_defs.definition(j.definition) for j in journeys}
    for one in known:
        if one.event.type == "purchase":
            await _purchase(session, one, journeys, specs, now)
    entering = [s for s in known if s.event.type != "purchase"]
    for journey in journeys:
        spec = specs[journey.id]
        mine = [s for s in entering if _triggers(spec, s)]
        if mine:
            await _enter(session, journey, spec, mine, now)


def _triggers(spec: DefinitionIn, one: Stored) -> bool:
    kind = one.event.type
    if spec.is_order():
        return kind in journey_defs.ORDER_TRIGGERS
    if spec.is_licence():  # a renewal's new term enters too (bot/renewals.py)
        return kind in ("licence.updated", "licence.renewed")
    return kind == spec.trigger.type and one.event.subject() is not None


def _context(one: Stored) -> dict[str, Any]:
    data = one.event.model_dump(mode="json", exclude_none=True)
    return {k: data[k] for k in ("order", "cart", "product", "licence") if k in data}


async def _enter(
    session: AsyncSession,
    journey: Journey,
    spec: DefinitionIn,
    batch: list[Stored],
    now: datetime,
) -> None:
    # The latest event per (customer, key) in this batch is the one that counts.
    latest: dict[tuple[int, str], Stored] = {}
    for one in batch:
        assert one.customer_id is not None
        latest[(one.customer_id, one.event.subject() or "")] = one
    existing: dict[tuple[int, str], JourneyRun] = {}
    pairs = list(latest)
    for start in range(0, len(pairs), 500):
        part = pairs[start : start + 500]
        rows = await session.scalars(
            select(JourneyRun).where(
                JourneyRun.journey_id == journey.id,
                JourneyRun.customer_id.in_({c for c, _ in part}),
                JourneyRun.trigger_key.in_({k for _, k in part}),
            )
        )
        existing.update(((r.customer_id, r.trigger_key), r) for r in rows)
    new_runs: list[dict[str, Any]] = []
    for (customer_id, key), one in latest.items():
        run = existing.get((customer_id, key))
        if run is not None:
            await _again(session, journey, spec, run, one, now)
            continue
        status = _status(one)
        if spec.is_order() and spec.step_for(status) is None:
            continue
        new_runs.append(
            {
                "journey_id": journey.id,
                "customer_id": customer_id,
                "trigger_key": key,
                "group": "control"
                if in_control(journey.id, customer_id, key, journey.holdout_percent)
                else "treated",
                "state": "active",
                "step": spec.step_for(status) if spec.is_order() else 0,
                "context": _context(one),
                "entered_at": one.at,
            }
        )
    if not new_runs:
        return
    # Ids in the order of the rows given, whatever the driver's batching.
    returning = insert(JourneyRun).returning(JourneyRun.id, sort_by_parameter_order=True)
    ids = (await session.execute(returning, new_runs)).scalars()
    timers = [
        {"run_id": run_id, "step": row["step"], "due_at": _first_due(spec, row["step"], row)}
        for run_id, row in zip(list(ids), new_runs, strict=True)
    ]
    await session.execute(insert(JourneyTimer.__table__), timers)


def _status(one: Stored) -> str:
    order = one.event.order
    if order is None:
        return ""
    return order.status or ("received" if one.event.type == "order.created" else "")


def _first_due(spec: DefinitionIn, step: int, row: dict[str, Any]) -> datetime:
    # The wait is counted (and re-counted from the last activity) when the timer fires.
    by_end = renewals.rough_due(spec.steps[step], row["context"])
    if by_end is not None:
        return by_end
    return row["entered_at"] + timedelta(minutes=spec.steps[step].wait_minutes)


async def _again(
    session: AsyncSession,
    journey: Journey,
    spec: DefinitionIn,
    run: JourneyRun,
    one: Stored,
    now: datetime,
) -> None:
    """The same cart changed, or the same order has a new status."""
    before = (run.context.get("order") or {}).get("status")
    run.context = {**run.context, **_context(one)}
    if not spec.is_order() or run.state != "active":
        return
    status = _status(one)
    step = spec.step_for(status)
    if step is None or status == before:
        return
    if "newer_status" in spec.exits:
        # The older status's message, if still waiting (the night, a limit), is no news now.
        await session.execute(
            states.update(
                State.FAILED, (State.SCHEDULED,), Reason.SUPERSEDED, "a newer status"
            ).where(Delivery.run_id == run.id)
        )
    run.step = step
    await session.execute(delete(JourneyTimer).where(JourneyTimer.run_id == run.id))
    session.add(JourneyTimer(run_id=run.id, step=step, due_at=one.at))


async def _purchase(
    session: AsyncSession,
    one: Stored,
    journeys: list[Journey],
    specs: dict[int, DefinitionIn],
    now: datetime,
) -> None:
    """A purchase: the customer's recent runs have ordered; those that exit on it end."""
    total = Decimal(str(one.event.order.total or 0)) if one.event.order else Decimal(0)
    runs = await session.scalars(
        select(JourneyRun).where(
            JourneyRun.customer_id == one.customer_id,
            JourneyRun.entered_at >= one.at - ATTRIBUTION,
            JourneyRun.entered_at <= one.at,
            JourneyRun.ordered_at.is_(None),
        )
    )
    for run in runs:
        if run.trigger_key.startswith("licence:"):
            continue  # a licence's run orders by its renewal (bot/renewals.py)
        run.ordered_at, run.revenue = one.at, total
        spec = specs.get(run.journey_id)
        if run.state == "active" and spec is not None and "purchase" in spec.exits:
            run.state, run.exit_reason, run.finished_at = "exited", "purchase", now
            await session.execute(delete(JourneyTimer).where(JourneyTimer.run_id == run.id))
