"""Pushes after a commit: read the committed state and tell the rooms that care."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from prilavok.consult.chat import chats, queue_feed, waiting
from prilavok.consult.chat.presence import reachable_ids
from prilavok.consult.chat.routing import loads
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import (
    OPERATOR_NS,
    OPERATORS_ROOM,
    VISITOR_NS,
    operator_room,
    visitor_room,
)
from prilavok.storage.models import Operator


async def visitor_conversation(deps: Deps, conv_id: int) -> dict[str, Any] | None:
    async with deps.sessions() as session:
        found = await waiting.seen_by_visitor(session, conv_id)
    if found is None:
        return None
    conv, data = found
    await deps.notifier.emit(
        "conversation", data, room=visitor_room(conv.visitor_id), namespace=VISITOR_NS
    )
    return data


async def chat_to_operator(deps: Deps, conv_id: int, operator_id: int) -> None:
    async with deps.sessions() as session:
        found = await chats.summaries(session, [conv_id])
    if found:
        await deps.notifier.emit(
            "chat", found[0], room=operator_room(operator_id), namespace=OPERATOR_NS
        )


async def chat_removed(deps: Deps, conv_id: int, operator_id: int, reason: str) -> None:
    await deps.notifier.emit(
        "chat_removed",
        {"conversation_id": conv_id, "reason": reason},
        room=operator_room(operator_id),
        namespace=OPERATOR_NS,
    )


async def team_list(deps: Deps) -> list[dict[str, Any]]:
    async with deps.sessions() as session:
        ops = list(
            await session.scalars(
                select(Operator)
                .where(Operator.deactivated_at.is_(None))
                .order_by(Operator.display_name)
            )
        )
        reachable = await reachable_ids(session, deps.limits)
        load = await loads(session)
    return [
        {
            "id": op.id,
            "name": op.display_name,
            "status": op.status,
            "online": op.id in reachable,
            "load": load.get(op.id, 0),
            "capacity": op.capacity,
        }
        for op in ops
    ]


async def push_team_list(deps: Deps) -> None:
    await deps.notifier.emit(
        "team", await team_list(deps), room=OPERATORS_ROOM, namespace=OPERATOR_NS
    )


async def assignments(
    deps: Deps, pairs: list[tuple[int, int]], *, left_queue: str | None = "assigned"
) -> dict[int, dict[str, Any]]:
    """After chats went to operators: tell each operator and visitor, and, when the chats left
    the queue (`left_queue` says why; None for a new chat given a place at once), the consoles
    and the visitors behind them (coalesced, consult.chat.queue_feed). Returns each
    conversation as its visitor was told it (for an ack, without reading it again)."""
    told: dict[int, dict[str, Any]] = {}
    for conv_id, operator_id in pairs:
        await chat_to_operator(deps, conv_id, operator_id)
        data = await visitor_conversation(deps, conv_id)
        if data is not None:
            told[conv_id] = data
        if left_queue:
            queue_feed.feed(deps).left(conv_id, left_queue)
    if pairs:
        queue_feed.feed(deps).touch()  # places were taken
    return told
