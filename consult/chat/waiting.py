"""The queue: its order and each chat's place in it, defined here and nowhere else.

Chats wait first come, first served: by `queued_at`, then by id. A place is 1 + the number of
queued chats ahead; the console's list, the visitor's conversation and the group-commit path
all take it from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel import serialize
from prilavok.storage.models import Conversation, Operator


def ahead(conv_id: int, queued_at: datetime) -> Select[tuple[int]]:
    """How many queued chats are ahead of this one (a statement: the group-commit path runs
    it on a synchronous connection)."""
    return (
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "queued",
            (Conversation.queued_at < queued_at)
            | ((Conversation.queued_at == queued_at) & (Conversation.id < conv_id)),
        )
    )


def place_from_ahead(count: int | None) -> int:
    return (count or 0) + 1


async def place(session: AsyncSession, conv: Conversation) -> int | None:
    """The chat's 1-based place, or None when it is not waiting."""
    if conv.status != "queued" or conv.queued_at is None:
        return None
    return place_from_ahead(await session.scalar(ahead(conv.id, conv.queued_at)))


async def line(session: AsyncSession) -> list[tuple[int, int, datetime]]:
    """(conversation id, visitor id, queued_at) of every waiting chat, first in line first."""
    rows = await session.execute(
        select(Conversation.id, Conversation.visitor_id, Conversation.queued_at)
        .where(Conversation.status == "queued")
        .order_by(Conversation.queued_at, Conversation.id)
    )
    return [(cid, vid, at) for cid, vid, at in rows.all()]


async def queued_ids(session: AsyncSession) -> list[int]:
    return [cid for cid, _, _ in await line(session)]


def places(ids: list[int]) -> dict[int, int]:
    """Places by id, for ids in line order (as `line` gives them)."""
    return {cid: i + 1 for i, cid in enumerate(ids)}


async def seen_by_visitor(
    session: AsyncSession, conv_id: int
) -> tuple[Conversation, dict[str, Any]] | None:
    """A conversation and its shape as the visitor sees it, read in one query and the place."""
    row = (
        await session.execute(
            select(Conversation, Operator.display_name)
            .outerjoin(Operator, Operator.id == Conversation.operator_id)
            .where(Conversation.id == conv_id)
        )
    ).first()
    if row is None:
        return None
    conv, op_name = row
    return conv, serialize.visitor_conversation(conv, op_name, await place(session, conv))
