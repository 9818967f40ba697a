"""Who gets a chat: the reachable operator with the most free places; else the queue.

Every decision runs inside `Deps.routing()`, so two processes never fill the same place twice.
"""

from __future__ import annotations

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


async def pick(session: AsyncSession, limits: Limits) -> Operator | None:
    """The online, reachable operator with the most free places (then the least loaded, then the
    lowest id), chosen by the database in one query: every new chat asks, and a team of
    hundreds should not be loaded row by row each time."""
    reachable = presence.reachable(limits)
    active = (
        select(Conversation.operator_id, func.count().label("n"))
        .where(Conversation.status == "active", Conversation.operator_id.is_not(None))
        .group_by(Conversation.operator_id)
        .subquery()
    )
    load = func.coalesce(active.c.n, 0)
    return await session.scalar(
        select(Operator)
        .outerjoin(active, active.c.operator_id == Operator.id)
        .where(Operator.status == "online", Operator.id.in_(reachable), Operator.capacity > load)
        .order_by((Operator.capacity - load).desc(), load, Operator.id)
        .limit(1)
    )


def assign(conv: Conversation, operator: Operator) -> None:
    conv.operator_id = operator.id
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
    for conv in queued:
        operator = await pick(session, limits)
        if operator is None:
            break
        assign(conv, operator)
        await session.flush()
        done.append((conv.id, operator.id))
    return done
