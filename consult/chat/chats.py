"""Chat summaries for the console: who, where, how many unread, the last word."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import waiting
from prilavok.consult.kernel import serialize
from prilavok.storage.models import Conversation, Message, Operator, Visit, Visitor


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
    by_id = {
        conv.id: serialize.chat(
            conv,
            visitor,
            op_name,
            visit,
            unread.get(conv.id, 0),
            last.get(conv.id),
            positions.get(conv.id),
        )
        for conv, visitor, op_name, visit in rows
    }
    return [by_id[i] for i in ids if i in by_id]


async def operator_chat_ids(session: AsyncSession, operator_id: int) -> list[int]:
    rows = await session.scalars(
        select(Conversation.id)
        .where(Conversation.operator_id == operator_id, Conversation.status == "active")
        .order_by(Conversation.assigned_at, Conversation.id)
    )
    return list(rows)
