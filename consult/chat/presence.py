"""Presence: an operator is there when a console of theirs is connected to a living process.

The one answer to "who is online", for routing, availability, the team list and the CLI.
Consoles are `operator_presence` rows tied to a `nodes` row that each serving process refreshes
every heartbeat, so a second process (or the CLI) reads the same answer from the database, and
a killed process's consoles stop counting once its heartbeat is older than the TTL.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel.deps import Limits
from prilavok.storage.models import Node, Operator, OperatorPresence, utcnow


def _live(query: Select, limits: Limits) -> Select:  # type: ignore[type-arg]
    """Consoles on a living process, of operators not deactivated (whose consoles may stay
    open for a moment, until their process closes them)."""
    fresh = utcnow() - timedelta(seconds=limits.presence_ttl_seconds)
    return (
        query.join(Node, Node.id == OperatorPresence.node_id)
        .join(Operator, Operator.id == OperatorPresence.operator_id)
        .where(Node.seen_at >= fresh, Operator.deactivated_at.is_(None))
    )


def reachable(limits: Limits) -> Select[tuple[int]]:
    """Operator ids with a console on a living process (a subquery for `IN`)."""
    return _live(select(OperatorPresence.operator_id), limits)


async def consoles(session: AsyncSession, limits: Limits) -> dict[int, int]:
    """Connected consoles per operator (operators with none are left out)."""
    rows = await session.execute(
        _live(select(OperatorPresence.operator_id, func.count()), limits).group_by(
            OperatorPresence.operator_id
        )
    )
    return {oid: n for oid, n in rows.all()}


async def reachable_ids(session: AsyncSession, limits: Limits) -> set[int]:
    return set(await consoles(session, limits))


def state(op: Operator, connected: bool) -> str:
    """online: a console is connected and the operator takes chats; away: connected but set
    away; offline: no console at all (whatever the status they last chose)."""
    if not connected:
        return "offline"
    return "online" if op.status == "online" else "away"
