"""Hot replies: canned answers with {variables}, global or an operator's own.

`save`/`delete` work in a caller's transaction (the CLI, tests); the actions below are what the
admin pages and the console call: one transaction, the audit entry for global ones, and the
operator's consoles told after the commit for their own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel import audit, serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, forbidden, not_found
from prilavok.consult.kernel.notifier import OPERATOR_NS, operator_room
from prilavok.consult.kernel.templating import render as render
from prilavok.storage.models import HotReply


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


async def add_global(deps: Deps, actor: str, shortcut: str, text: str) -> dict[str, Any]:
    async with deps.write() as session:
        reply = await save(session, None, shortcut, text)
        data = serialize.hot_reply(reply)
        audit.record(session, actor, "hot_reply.create", f"hot_reply:{reply.id}", shortcut)
    return data


async def delete_global(deps: Deps, actor: str, reply_id: int) -> None:
    async with deps.write() as session:
        await delete(session, None, reply_id)
        audit.record(session, actor, "hot_reply.delete", f"hot_reply:{reply_id}")


async def save_own(
    deps: Deps, operator_id: int, shortcut: str, text: str, reply_id: int | None = None
) -> dict[str, Any]:
    """An operator's own reply, new or changed; every console of theirs gets the list."""
    async with deps.write() as session:
        data = serialize.hot_reply(await save(session, operator_id, shortcut, text, reply_id))
    await _push(deps, operator_id)
    return data


async def delete_own(deps: Deps, operator_id: int, reply_id: int) -> None:
    async with deps.write() as session:
        await delete(session, operator_id, reply_id)
    await _push(deps, operator_id)


async def _push(deps: Deps, operator_id: int) -> None:
    async with deps.sessions() as session:
        replies = await listing(session, operator_id)
    await deps.notifier.emit(
        "hot_replies", replies, room=operator_room(operator_id), namespace=OPERATOR_NS
    )
