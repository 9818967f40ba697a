"""Events into journeys, in the transaction that stores them: a trigger enters the customer
once per trigger key (the cart, the order), a purchase exits and counts as ordered, a new
order status schedules that status's message and drops an older one not yet sent.

Everything here runs on the storing transaction's connection in SQLAlchemy Core. A batch of new
runs is one multi-row INSERT ... ON CONFLICT DO NOTHING (a run that already exists inserts
nothing and is then read and updated), and one multi-row INSERT of their timers; nothing is
kept in memory between batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import delivery_states as states
from prilavok.bot import journey_defs, renewals
from prilavok.bot.delivery_states import Reason, State
from prilavok.bot.journey_defs import DefinitionIn
from prilavok.bot.shop_events import Stored
from prilavok.storage.bulk import insert_rows
from prilavok.storage.models import Delivery, Journey, JourneyRun, JourneyTimer

# A purchase this long after entering still counts as the journey's order (and the control's).
ATTRIBUTION = timedelta(days=7)
JOURNEYS = Journey.__table__
RUNS = JourneyRun.__table__
TIMERS = JourneyTimer.__table__
_RECONTEXT = (
    update(RUNS).where(RUNS.c.id == bindparam("run_id")).values(context=bindparam("merged"))
)


def ensure_shipped(conn: Connection, shop_id: str, now: datetime) -> list[Row[Any]]:
    """The shop's journeys; the two shipped ones are added the first time it is seen."""
    found = list(conn.execute(select(JOURNEYS).where(JOURNEYS.c.shop_id == shop_id)))
    have = {j.key for j in found}
    missing = []
    for key, raw in journey_defs.SHIPPED.items():
        if key in have:
            continue
        spec = journey_defs.parse(raw)
        missing.append(
            {
                "shop_id": shop_id,
                "key": key,
                "name": spec.name,
                "enabled": spec.enabled,
                "purpose": spec.purpose,
                "holdout_percent": spec.holdout_percent,
                "definition": spec.definition.model_dump(mode="json", by_alias=True),
                "updated_at": now,
            }
        )
    if not missing:
        return found
    conn.execute(insert(JOURNEYS), missing)
    return list(conn.execute(select(JOURNEYS).where(JOURNEYS.c.shop_id == shop_id)))


async def shipped(session: AsyncSession, shop_id: str, now: datetime) -> list[Journey]:
    """ensure_shipped for the admin pages, as ORM objects."""
    await session.run_sync(lambda s: ensure_shipped(s.connection(), shop_id, now))
    return list(await session.scalars(select(Journey).where(Journey.shop_id == shop_id)))


def in_control(journey_id: int, customer_id: int, key: str, percent: int) -> bool:
    """The holdout, stable for a run: the same customer and key always fall the same way."""
    digest = hashlib.sha256(f"{journey_id}:{customer_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def on_events(conn: Connection, batch: Sequence[Stored], now: datetime) -> None:
    known = [s for s in batch if s.customer_id is not None]
    if not known:
        return
    journeys = [j for j in ensure_shipped(conn, batch[0].shop_id, now) if j.enabled]
    specs = {j.id: journey_defs.definition(j.definition) for j in journeys}
    for one in known:
        if one.event.type == "purchase":
            _purchase(conn, one, specs, now)
    entering = [s for s in known if s.event.type != "purchase"]
    for journey in journeys:
        spec = specs[journey.id]
        mine = [s for s in entering if _triggers(spec, s)]
        if mine:
            _enter(conn, journey, spec, mine, now)


def _triggers(spec: DefinitionIn, one: Stored) -> bool:
    kind = one.event.type
    if spec.is_order():
        return kind in journey_defs.ORDER_TRIGGERS
    if spec.is_licence():  # a renewal's new term enters too (bot/renewals.py)
        return kind in ("licence.updated", "licence.renewed")
    return kind == spec.trigger.type and one.event.subject() is not None


def _context(one: Stored) -> dict[str, Any]:
    return {k: one.data[k] for k in ("order", "cart", "product", "licence") if k in one.data}


def _enter(
    conn: Connection, journey: Row[Any], spec: DefinitionIn, batch: list[Stored], now: datetime
) -> None:
    # The latest event per (customer, key) in this batch is the one that counts.
    latest: dict[tuple[int, str], Stored] = {}
    for one in batch:
        assert one.customer_id is not None
        latest[(one.customer_id, one.event.subject() or "")] = one
    new_runs: list[dict[str, Any]] = []
    for (customer_id, key), one in latest.items():
        status = _status(one)
        if spec.is_order() and spec.step_for(status) is None:
            continue  # a status with no message starts nothing (an existing run notes it)
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
    entered: dict[tuple[int, str], int] = {}
    if new_runs:
        # A run that exists already (this cart, this order) inserts nothing here.
        for run_id, customer_id, key in insert_rows(
            conn,
            RUNS,
            new_runs,
            on_conflict_nothing=("journey_id", "customer_id", "trigger_key"),
            returning=("id", "customer_id", "trigger_key"),
        ):
            entered[(customer_id, key)] = run_id
    if entered:
        timers = [
            {"run_id": entered[pair], "step": row["step"], "due_at": _first_due(spec, row)}
            for row in new_runs
            if (pair := (row["customer_id"], row["trigger_key"])) in entered
        ]
        insert_rows(conn, TIMERS, timers)
    # The rest were there before: the same cart changed again, the same order's new status.
    again = [pair for pair in latest if pair not in entered]
    recontext: list[dict[str, Any]] = []
    for start in range(0, len(again), 500):
        part = again[start : start + 500]
        runs = conn.execute(
            select(RUNS.c.id, RUNS.c.customer_id, RUNS.c.trigger_key, RUNS.c.state,
                   RUNS.c.context)
            .where(RUNS.c.journey_id == journey.id,
                   tuple_(RUNS.c.customer_id, RUNS.c.trigger_key).in_(part))
        )  # fmt: skip
        for run in runs:
            one = latest[(run.customer_id, run.trigger_key)]
            recontext.append(_again(conn, spec, run, one))
    if recontext:
        conn.execute(_RECONTEXT, recontext)


def _status(one: Stored) -> str:
    order = one.event.order
    if order is None:
        return ""
    return order.status or ("received" if one.event.type == "order.created" else "")


def _first_due(spec: DefinitionIn, row: dict[str, Any]) -> datetime:
    # The wait is counted (and re-counted from the last activity) when the timer fires.
    step = spec.steps[row["step"]]
    by_end = renewals.rough_due(step, row["context"])
    if by_end is not None:
        return by_end
    return row["entered_at"] + timedelta(minutes=step.wait_minutes)


def _again(conn: Connection, spec: DefinitionIn, run: Row[Any], one: Stored) -> dict[str, Any]:
    """The same cart changed, or the same order has a new status: the run's new context (for
    one UPDATE of the whole batch); a new status moves the run on here."""
    context = run.context or {}
    before = (context.get("order") or {}).get("status")
    change = {"run_id": run.id, "merged": {**context, **_context(one)}}
    if not spec.is_order() or run.state != "active":
        return change
    status = _status(one)
    step = spec.step_for(status)
    if step is None or status == before:
        return change
    if "newer_status" in spec.exits:
        # The older status's message, if still waiting (the night, a limit), is no news now.
        conn.execute(
            states.update(
                State.FAILED, (State.SCHEDULED,), Reason.SUPERSEDED, "a newer status"
            ).where(Delivery.run_id == run.id)
        )
    conn.execute(update(RUNS).where(RUNS.c.id == run.id).values(step=step))
    conn.execute(delete(TIMERS).where(TIMERS.c.run_id == run.id))
    conn.execute(insert(TIMERS).values(run_id=run.id, step=step, due_at=one.at))
    return change


def _purchase(conn: Connection, one: Stored, specs: dict[int, DefinitionIn], now: datetime) -> None:
    """A purchase: the customer's recent runs have ordered; those that exit on it end."""
    total = Decimal(str(one.event.order.total or 0)) if one.event.order else Decimal(0)
    runs = conn.execute(
        select(RUNS.c.id, RUNS.c.journey_id, RUNS.c.state, RUNS.c.trigger_key).where(
            RUNS.c.customer_id == one.customer_id,
            RUNS.c.entered_at >= one.at - ATTRIBUTION,
            RUNS.c.entered_at <= one.at,
            RUNS.c.ordered_at.is_(None),
        )
    ).all()
    for run in runs:
        if run.trigger_key.startswith("licence:"):
            continue  # a licence's run orders by its renewal (bot/renewals.py)
        values: dict[str, Any] = {"ordered_at": one.at, "revenue": total}
        spec = specs.get(run.journey_id)
        if run.state == "active" and spec is not None and "purchase" in spec.exits:
            values.update(state="exited", exit_reason="purchase", finished_at=now)
            conn.execute(delete(TIMERS).where(TIMERS.c.run_id == run.id))
        conn.execute(update(RUNS).where(RUNS.c.id == run.id).values(**values))
