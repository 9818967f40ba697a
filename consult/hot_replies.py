"""Hot replies: canned answers with {variables}, global or an operator's own."""

from __future__ import annotations

from typing import Any

from prilavok.consult import serialize
from prilavok.consult.errors import ConsultError, forbidden, not_found
from prilavok.consult.templating import render as render
from prilavok.storage.models import HotReply
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession


async def listing(session: AsyncSession, operator_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(HotReply)
        .where(or_(HotReply.operator_id.is_(None), HotReply.operator_id == operator_id))
        .order_by(HotReply.shortcut, HotReply.operator_id.is_(None), HotReply.id)
    )
    return [serialize.hot_reply(r) for r in rows]


async def get_visible(session: AsyncSession, operator_id: int, reply_id: int) -> HotReply:
    reply = await session.get(HotReply, reply_id)
    if reply is None or reply.operator_id not in (None, operator_id):
        raise not_found("hot reply")
    return reply


async def save(
    session: AsyncSession,
    operator_id: int | None,
    shortcut: str,
    text: str,
    reply_id: int | None = None,
) -> HotReply:
    """Creates or edits a reply; `operator_id=None` is a global one (admins and the CLI)."""
    shortcut = shortcut.strip().lstrip("/").lower()
    if not shortcut:
        raise ConsultError("invalid_payload", "a shortcut is needed")
    clash = await session.scalar(
        select(HotReply.id).where(
            HotReply.shortcut == shortcut,
            HotReply.operator_id.is_(None)
            if operator_id is None
            else HotReply.operator_id == operator_id,
            HotReply.id != (reply_id or 0),
        )
    )
    if clash:
        raise ConsultError("exists", f"/{shortcut} already exists", 409)
    if reply_id is None:
        reply = HotReply(operator_id=operator_id, shortcut=shortcut, text=text)
        session.add(reply)
    else:
        reply = await session.get(HotReply, reply_id)
        if reply is None:
            raise not_found("hot reply")
        if reply.operator_id != operator_id:
            raise forbidden("only your own replies can be changed")
        reply.shortcut, reply.text = shortcut, text
    await session.flush()
    return reply


async def delete(session: AsyncSession, operator_id: int | None, reply_id: int) -> None:
    reply = await session.get(HotReply, reply_id)
    if reply is None:
        raise not_found("hot reply")
    if reply.operator_id != operator_id:
        raise forbidden("only your own replies can be deleted")
    await session.delete(reply)
