"""Availability: what the widget may honestly promise a visitor, computed here and nowhere else.

- `online`: an operator is online (a connected console, status online) with a free place;
  `reply_seconds` is the median first reply of recent chats (from the chat reaching an operator
  to their first message), None without history.
- `busy`: operators are online and every place is taken; `seconds_per_place` is how long one
  place in the queue takes to clear (the median length of recent chats over the places online),
  `wait_seconds` the estimate for a chat started now (behind everyone waiting).
- `offline`: outside business hours (`reason` "closed") or nobody online (`reason` "nobody");
  `next_open_at` is when business hours next begin. A message left now is kept and reaches the
  first operator who comes online.

Figures are rounded (to 10 s under a minute, to minutes under an hour, then to quarter hours
and hours), so that visitors are not told a new figure for every chat that joins the queue.
The last state pushed is kept in `shop_settings`, shared by every process: a push goes out only
when the state really changed, whichever process noticed.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import hours, presence, routing
from prilavok.consult.kernel import audit, serialize
from prilavok.consult.kernel.deps import Deps, Limits
from prilavok.consult.kernel.notifier import VISITOR_NS, VISITORS_ROOM
from prilavok.storage.models import Conversation, Operator, ShopSetting, utcnow

KEY = "availability"
# The figures come from this many recent chats, no older than this.
RECENT_CHATS = 50
RECENT_DAYS = 14


def rough(seconds: float | None) -> int | None:
    if seconds is None:
        return None
    for below, step in ((60, 10), (3600, 60), (4 * 3600, 900)):
        if seconds < below:
            return max(step, math.ceil(seconds / step) * step)
    return math.ceil(seconds / 3600) * 3600


async def _places(session: AsyncSession, limits: Limits) -> tuple[int, int]:
    """(places of operators online, of which free)."""
    caps = dict(
        (
            await session.execute(
                select(Operator.id, Operator.capacity).where(
                    Operator.status == "online", Operator.id.in_(presence.reachable(limits))
                )
            )
        ).all()
    )
    load = await routing.loads(session)
    free = sum(max(0, cap - load.get(oid, 0)) for oid, cap in caps.items())
    return sum(caps.values()), free


async def _median(session: AsyncSession, end: Any, now: datetime) -> float | None:
    """Median seconds from a chat reaching its operator to `end`, over recent chats."""
    rows = await session.execute(
        select(Conversation.assigned_at, end)
        .where(
            Conversation.assigned_at.is_not(None),
            end.is_not(None),
            Conversation.created_at > now - timedelta(days=RECENT_DAYS),
        )
        .order_by(Conversation.id.desc())
        .limit(RECENT_CHATS)
    )
    spans = [(e - a).total_seconds() for a, e in rows.all()]
    spans = [s for s in spans if s >= 0]
    return statistics.median(spans) if spans else None


async def closed_reason(
    session: AsyncSession, limits: Limits, now: datetime | None = None
) -> str | None:
    """ "closed" outside business hours, "nobody" when no operator is online, else None."""
    if not (await hours.load(session)).open_at(now or utcnow()):
        return "closed"
    total, _ = await _places(session, limits)
    return None if total else "nobody"


async def compute(
    session: AsyncSession, limits: Limits, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    shop_hours = await hours.load(session)
    state: dict[str, Any] = {
        "state": "offline",
        "reason": None,
        "reply_seconds": None,
        "seconds_per_place": None,
        "wait_seconds": None,
        "next_open_at": None,
    }
    total, free = await _places(session, limits)
    if not shop_hours.open_at(now) or not total:
        state["reason"] = "nobody" if shop_hours.open_at(now) else "closed"
        state["next_open_at"] = serialize.iso(shop_hours.next_open(now))
        return state
    if free:
        state["state"] = "online"
        state["reply_seconds"] = rough(await _median(session, Conversation.first_response_at, now))
        return state
    state["state"] = "busy"
    length = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.status == "queued")
    )
    chat_seconds = await _median(session, Conversation.closed_at, now)
    if chat_seconds is not None:
        per_place = chat_seconds / total
        state["seconds_per_place"] = rough(per_place)
        state["wait_seconds"] = rough(per_place * ((length or 0) + 1))
    return state


async def current(deps: Deps) -> dict[str, Any]:
    """The state now, for a connecting widget: computed, not the last push, which may trail a
    change by the coalescing delay (or a heartbeat, for a change that time makes)."""
    async with deps.sessions() as session:
        return await compute(session, deps.limits)


async def publish(deps: Deps) -> None:
    """Computes the state and, when it differs from the last one pushed, pushes it to every
    widget (after the commit)."""
    # Read first: most checks (every heartbeat) find nothing new and need no write.
    async with deps.sessions() as session:
        state = await compute(session, deps.limits)
        row = await session.get(ShopSetting, KEY)
        if row is not None and row.value == state:
            return
    try:
        async with deps.write() as session:
            row = await session.get(ShopSetting, KEY, with_for_update=True)
            if row is not None and row.value == state:
                return  # another process pushed it meanwhile
            if row is None:
                session.add(ShopSetting(key=KEY, value=state))
            else:
                row.value = state
    except IntegrityError:
        return  # another process stored the first state at the same moment, and pushed it
    await deps.notifier.emit("availability", state, room=VISITORS_ROOM, namespace=VISITOR_NS)


async def set_hours(deps: Deps, actor: str, business_hours: hours.Hours) -> None:
    """An admin's business hours, audited; widgets hear what that does to availability."""
    async with deps.write() as session:
        await hours.save(session, business_hours)
        audit.record(session, actor, "settings.business_hours", "settings")
    await publish(deps)
