"""Who gets a chat: the reachable operator with the most free places; else the queue.

Every decision runs inside `Deps.routing()`, so two processes never fill the same place twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import presence
from prilavok.consult.kernel.deps import Limits
from prilavok.storage.models import Conversation, Operator, utcnow


async def loads(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Conversation.operator_id, func.count())
        .where(Conversation.status == "active", Conversation.operator_id.is_not(None))
        .group_by(Conversation.operator_id)
    )
    return {oid: n for oid, n in rows.all()}


@dataclass
class Place:
    """An online, reachable operator's capacity and the chats they have now."""

    operator_id: int
    capacity: int
    load: int


async def places(session: AsyncSession, limits: Limits) -> list[Place]:
    """Every online, reachable operator with their load, in two plain queries joined here.

    One query joining operators to the load aggregate was planned, on the statistics of tables
    that had just filled (the usual case for a new shop, and for a burst of new chats), as a
    nested loop that sorted the aggregate again for every operator: 28 ms for 200 operators on
    PostgreSQL, under the routing lock, for every new chat. These two cost the same whatever the
    statistics say."""
    rows = await session.execute(
        select(Operator.id, Operator.capacity).where(
            Operator.status == "online", Operator.id.in_(presence.reachable(limits))
        )
    )
    current = await loads(session)
    return [Place(oid, capacity, current.get(oid, 0)) for oid, capacity in rows.all()]


def choose(candidates: list[Place]) -> Place | None:
    """The one with the most free places, then the least loaded, then the lowest id."""
    return min(
        (p for p in candidates if p.capacity > p.load),
        key=lambda p: (p.load - p.capacity, p.load, p.operator_id),
        default=None,
    )


async def pick(session: AsyncSession, limits: Limits) -> Operator | None:
    """The operator `choose` takes among `places`, or None when every place is taken."""
    chosen = choose(await places(session, limits))
    return None if chosen is None else await session.get(Operator, chosen.operator_id)


def assign(conv: Conversation, operator: Operator) -> None:
    assign_to(conv, operator.id)


def assign_to(conv: Conversation, operator_id: int) -> None:
    conv.operator_id = operator_id
    conv.status = "active"
    conv.assigned_at = utcnow()


async def drain(session: AsyncSession, limits: Limits) -> list[tuple[int, int]]:
    """Hands queued chats, oldest first, to free places; returns (conversation, operator) pairs."""
    done: list[tuple[int, int]] = []
    queued = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.status == "queued")
            .order_by(Conversation.queued_at, Conversation.id)
        )
    )
    candidates = await places(session, limits) if queued else []
    for conv in queued:
        chosen = choose(candidates)
        if chosen is None:
            break
        assign_to(conv, chosen.operator_id)
        chosen.load += 1
        done.append((conv.id, chosen.operator_id))
    await session.flush()
    return done
