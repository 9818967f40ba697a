"""Chat summaries for the console: who, where, how many unread, the last word."""

from __future__ import annotations

from typing import Any

from prilavok.consult import serialize, waiting
from prilavok.storage.models import Conversation, Message, Operator, Visit, Visitor
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def summaries(session: AsyncSession, ids: list[int]) -> list[dict[str, Any]]:
    """Chat objects (docs/protocol.md) for the given conversations, in the given order."""
    if not ids:
        return []
    rows = (
        await session.execute(
            select(Conversation, Visitor, Operator.display_name, Visit)
            .join(Visitor, Visitor.id == Conversation.visitor_id)
            .outerjoin(Operator, Operator.id == Conversation.operator_id)
            .outerjoin(Visit, Visit.id == Conversation.visit_id)
            .where(Conversation.id.in_(ids))
        )
    ).all()
    unread = dict(
        (
            await session.execute(
                select(Message.conversation_id, func.count())
                .where(
                    Message.conversation_id.in_(ids),
                    Message.author == "visitor",
                    Message.read_at.is_(None),
                )
                .group_by(Message.conversation_id)
            )
        ).all()
    )
    last_ids = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ids))
        .group_by(Message.conversation_id)
    )
    last = {
        m.conversation_id: (m, name)
        for m, name in (
            await session.execute(
                select(Message, Operator.display_name)
                .outerjoin(Operator, Operator.id == Message.operator_id)
                .where(Message.id.in_(last_ids))
            )
        ).all()
    }
    queued = any(r[0].status == "queued" for r in rows)
    positions = waiting.places(await waiting.queued_ids(session)) if queued else {}
    by_id: dict[int, dict[str, Any]] = {}
    for conv, visitor, op_name, visit in rows:
        lm = last.get(conv.id)
        by_id[conv.id] = {
            "id": conv.id,
            "status": conv.status,
            "visitor": {"id": visitor.id, "name": visitor.name},
            "operator_id": conv.operator_id,
            "operator_name": op_name,
            "unread": unread.get(conv.id, 0),
            "last_message": serialize.message(*lm) if lm else None,
            "created_at": serialize.iso(conv.created_at),
            "queued_at": serialize.iso(conv.queued_at),
            "queue_position": positions.get(conv.id),
            "left_offline": conv.left_offline,
            "current_url": visit.current_url if visit else None,
            "current_title": visit.current_title if visit else None,
        }
    return [by_id[i] for i in ids if i in by_id]


async def operator_chat_ids(session: AsyncSession, operator_id: int) -> list[int]:
    rows = await session.scalars(
        select(Conversation.id)
        .where(Conversation.operator_id == operator_id, Conversation.status == "active")
        .order_by(Conversation.assigned_at, Conversation.id)
    )
    return list(rows)
