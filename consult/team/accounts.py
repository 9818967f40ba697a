"""Operator accounts as an admin runs them: a new one, a change, deactivate, activate, a new
password.

Each is one transaction with its audit entry; pushes and socket closing follow the commit.
A deactivated operator keeps their row (past chats keep their name) but every session ends,
their consoles close on every process, their active chats go back to the queue and on to
whoever is free, and they count nowhere as online.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import availability, broadcast, queue_feed
from prilavok.consult.chat.conversations import drain_queue
from prilavok.consult.kernel import audit, logins, serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.notifier import OPERATOR_NS
from prilavok.consult.team import operators
from prilavok.storage.models import Conversation, Operator, utcnow


async def _get(session: AsyncSession, operator_id: int) -> Operator:
    op = await session.get(Operator, operator_id)
    if op is None:
        raise not_found("operator")
    return op


async def _requeue(session: AsyncSession, operator_id: int) -> list[int]:
    """The operator's active chats wait again, where they first stood in line (or when they
    began): they have waited already."""
    ids = list(
        await session.scalars(
            select(Conversation.id).where(
                Conversation.operator_id == operator_id, Conversation.status == "active"
            )
        )
    )
    if ids:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(ids))
            .values(
                status="queued",
                operator_id=None,
                assigned_at=None,
                queued_at=func.coalesce(Conversation.queued_at, Conversation.created_at),
            )
        )
    return ids


async def deactivate_in(
    session: AsyncSession, op: Operator, actor: str
) -> tuple[list[str], list[int]]:
    """The database side, in `session`'s transaction: answers (sockets to close, chats
    requeued)."""
    if op.deactivated_at is None:
        op.deactivated_at = utcnow()
    # Their presence rows stay until each socket has closed (the heartbeat finds the sockets
    # of ended sessions by them); consult.chat.presence counts no deactivated operator meanwhile.
    sids = await logins.forget_all(session, op.id)
    requeued = await _requeue(session, op.id)
    audit.record(session, actor, "operator.deactivate", f"operator:{op.login}",
                 f"{len(requeued)} chats back to the queue")  # fmt: skip
    return sids, requeued


async def deactivate(deps: Deps, operator_id: int, actor: Operator) -> Operator:
    if actor.id == operator_id:
        raise ConsultError("self", "an admin cannot deactivate themself", 409)
    async with deps.routing() as session:
        op = await _get(session, operator_id)
        sids, requeued = await deactivate_in(session, op, actor.login)
    await close_sockets(deps, sids)
    feed = queue_feed.feed(deps)
    for conv_id in requeued:
        feed.joined(conv_id)
        await broadcast.visitor_conversation(deps, conv_id)
    await broadcast.push_team_list(deps)
    await drain_queue(deps)
    await availability.publish(deps)
    return op


async def activate(deps: Deps, operator_id: int, actor: str) -> Operator:
    async with deps.write() as session:
        op = await _get(session, operator_id)
        if op.deactivated_at is not None:
            op.deactivated_at = None
            audit.record(session, actor, "operator.activate", f"operator:{op.login}")
    await broadcast.push_team_list(deps)
    return op


async def reset_password(deps: Deps, operator_id: int, password: str, actor: str) -> Operator:
    """An admin's new password for an operator: every session of theirs ends."""
    async with deps.write() as session:
        op = await _get(session, operator_id)
        sids = await operators.set_password(session, deps.passwords, op, password)
        audit.record(session, actor, "operator.password", f"operator:{op.login}")
    await close_sockets(deps, sids)
    return op


async def close_sockets(deps: Deps, sids: list[str]) -> None:
    for sid in sids:
        await deps.notifier.disconnect(sid, namespace=OPERATOR_NS)


async def create(
    deps: Deps,
    actor: str,
    login: str,
    password: str,
    *,
    name: str | None,
    role: str,
    capacity: int,
) -> dict[str, Any]:
    async with deps.write() as session:
        op = await operators.create(
            session,
            deps.passwords,
            login,
            password,
            display_name=name,
            role=role,
            capacity=capacity,
        )
        data = serialize.operator(op)
        audit.record(session, actor, "operator.create", f"operator:{op.login}", op.role)
    await broadcast.push_team_list(deps)
    return data


@dataclass(frozen=True)
class Change:
    """What an admin changes of an operator; None leaves it."""

    capacity: int | None = None
    role: str | None = None
    name: str | None = None


async def change(deps: Deps, actor: str, operator_id: int, to: Change) -> dict[str, Any]:
    async with deps.write() as session:
        op = await _get(session, operator_id)
        if to.capacity is not None:
            op.capacity = to.capacity
        if to.role is not None:
            op.role = to.role
        if to.name is not None:
            op.display_name = to.name
        data = serialize.operator(op)
        changed = ", ".join(
            f"{k}={v}" for k, v in (("capacity", to.capacity), ("role", to.role),
                                    ("name", to.name)) if v is not None
        )  # fmt: skip
        audit.record(session, actor, "operator.change", f"operator:{op.login}", changed)
    await broadcast.push_team_list(deps)
    # More places may mean the queue can move.
    await drain_queue(deps)
    return data
