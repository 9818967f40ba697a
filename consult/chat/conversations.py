"""Actions on conversations: operators' messages, receipts, taking, transferring, closing.

A visitor's message has an intake of its own, consult.chat.visitor_messages.

Each action commits first and pushes afterwards, so nothing is announced that was not stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import broadcast, messages, presence, queue_feed, routing, waiting
from prilavok.consult.kernel import serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, forbidden, not_found
from prilavok.consult.kernel.notifier import OPERATOR_NS, VISITOR_NS, operator_room, visitor_room
from prilavok.consult.visitors.visits import history, open_conversation
from prilavok.storage.models import Conversation, Message, Operator, utcnow


async def own_conversation(deps: Deps, visitor_id: int, conv_id: int) -> Conversation:
    """The named conversation, refused alike when unknown or someone else's."""
    async with deps.sessions() as session:
        conv = await session.get(Conversation, conv_id)
    if conv is None or conv.visitor_id != visitor_id:
        raise ConsultError("not_found", "no such conversation", 404)
    return conv


async def _author_name(session: AsyncSession, msg: Message) -> str | None:
    if msg.operator_id is None:
        return None
    op = await session.get(Operator, msg.operator_id)
    return op.display_name if op else None


async def visitor_state(deps: Deps, visitor_id: int) -> dict[str, Any]:
    """The open conversation and its history: what a (re)connecting widget resyncs from."""
    async with deps.sessions() as session:
        conv = await open_conversation(session, visitor_id)
        if conv is None:
            return {"conversation": None, "messages": []}
        found = await waiting.seen_by_visitor(session, conv.id)
        assert found is not None
        return {"conversation": found[1], "messages": await history(session, conv.id)}


async def _own_active(session: AsyncSession, operator: Operator, conv_id: int) -> Conversation:
    conv = await session.get(Conversation, conv_id)
    if conv is None:
        raise not_found("conversation")
    if conv.status == "closed":
        raise ConsultError("conversation_closed", "the conversation is closed", 409)
    if conv.operator_id != operator.id:
        raise forbidden("this chat is not yours")
    return conv


async def post_operator_message(
    deps: Deps, operator: Operator, conv_id: int, client_id: str, text: str
) -> dict[str, Any]:
    text = messages.clean_text(text, deps.limits.max_message_length)
    key = f"o:{operator.id}"
    try:
        async with deps.write() as session:
            old = await messages.existing(session, key, client_id)
            if old is not None:
                return serialize.message(old, await _author_name(session, old))
            conv = await _own_active(session, operator, conv_id)
            now = utcnow()
            msg = await messages.insert(
                session, messages.row(conv.id, "operator", key, client_id, text, now, operator.id)
            )
            conv.last_message_at = now
            if conv.first_response_at is None:
                conv.first_response_at = now
            visitor_id = conv.visitor_id
    except (IntegrityError, messages.Duplicate):
        async with deps.sessions() as session:
            old = await messages.existing(session, key, client_id)
            if old is None:
                raise
            return serialize.message(old, operator.display_name)
    data = serialize.message(msg, operator.display_name)
    await deps.notifier.emit("message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS)
    await deps.notifier.emit(
        "message", data, room=operator_room(operator.id), namespace=OPERATOR_NS
    )
    return data


async def stamp_receipts(
    deps: Deps, conv: Conversation, authors: tuple[str, ...], field: str, up_to: int
) -> None:
    """Stamps delivered_at/read_at on the other side's messages up to an id; tells the sender."""
    column = getattr(Message, field)
    at = utcnow()
    async with deps.write() as session:
        result = await session.execute(
            update(Message)
            .where(
                Message.conversation_id == conv.id,
                Message.id <= up_to,
                Message.author.in_(authors),
                column.is_(None),
            )
            .values({field: at})
        )
        # Read implies delivered.
        if field == "read_at":
            await session.execute(
                update(Message)
                .where(
                    Message.conversation_id == conv.id,
                    Message.id <= up_to,
                    Message.author.in_(authors),
                    Message.delivered_at.is_(None),
                )
                .values(delivered_at=at)
            )
    if not result.rowcount:  # type: ignore[attr-defined]
        return
    receipt = {
        "conversation_id": conv.id,
        "field": field.removesuffix("_at"),
        "up_to": up_to,
        "at": serialize.iso(at),
    }
    if "visitor" in authors:
        await deps.notifier.emit(
            "receipt", receipt, room=visitor_room(conv.visitor_id), namespace=VISITOR_NS
        )
        if conv.operator_id:
            # Other consoles of the same operator clear their unread counters too.
            await deps.notifier.emit(
                "receipt", receipt, room=operator_room(conv.operator_id), namespace=OPERATOR_NS
            )
    elif conv.operator_id:
        await deps.notifier.emit(
            "receipt", receipt, room=operator_room(conv.operator_id), namespace=OPERATOR_NS
        )


async def operator_conversation(
    deps: Deps, operator: Operator, conv_id: int, *, allow_queued: bool = False
) -> Conversation:
    """A conversation this operator may see: their own, a queued one (if allowed), or any for
    an admin."""
    async with deps.sessions() as session:
        conv = await session.get(Conversation, conv_id)
    if conv is None:
        raise not_found("conversation")
    if conv.operator_id == operator.id or operator.role == "admin":
        return conv
    if allow_queued and conv.status == "queued":
        return conv
    raise forbidden("this chat is not yours")


async def operator_typing(deps: Deps, operator: Operator, conv_id: int, typing: bool) -> None:
    """The operator types (or stopped) in their own chat: the visitor's tabs are told."""
    conv = await operator_conversation(deps, operator, conv_id)
    if conv.operator_id != operator.id:
        raise forbidden("this chat is not yours")
    await deps.notifier.emit(
        "typing",
        {"typing": typing, "author_name": operator.display_name},
        room=visitor_room(conv.visitor_id),
        namespace=VISITOR_NS,
    )


async def visitor_typing(deps: Deps, visitor_id: int, typing: bool) -> None:
    """The visitor types (or stopped): the operator of their open chat is told, if any."""
    async with deps.sessions() as session:
        conv = await open_conversation(session, visitor_id)
    if conv is not None and conv.operator_id:
        await deps.notifier.emit(
            "typing",
            {"conversation_id": conv.id, "typing": typing},
            room=operator_room(conv.operator_id),
            namespace=OPERATOR_NS,
        )


async def visitor_mark(
    deps: Deps, visitor_id: int, conv_id: int | None, field: str, up_to: int
) -> None:
    """The visitor's receipt for the other side's messages, in the conversation they name (one
    of their own) or their open one."""
    if conv_id is not None:
        conv: Conversation | None = await own_conversation(deps, visitor_id, conv_id)
    else:
        async with deps.sessions() as session:
            conv = await open_conversation(session, visitor_id)
    if conv is None:
        raise ConsultError("not_found", "no open conversation", 404)
    await stamp_receipts(deps, conv, ("operator", "system"), field, up_to)


async def take(deps: Deps, operator: Operator, conv_id: int) -> None:
    """An operator takes a chat from the queue, even when already full: their choice."""
    async with deps.routing() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise not_found("conversation")
        if conv.status != "queued":
            raise ConsultError("not_queued", "the chat is no longer in the queue", 409)
        op = await session.get(Operator, operator.id)
        assert op is not None
        routing.assign(conv, op)
    await broadcast.assignments(deps, [(conv_id, operator.id)], left_queue="taken")


async def transfer(deps: Deps, operator: Operator, conv_id: int, to_id: int) -> None:
    async with deps.routing() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise not_found("conversation")
        if conv.status != "active":
            raise ConsultError("conversation_closed", "only an active chat can move", 409)
        if conv.operator_id != operator.id and operator.role != "admin":
            raise forbidden("this chat is not yours")
        target = await session.get(Operator, to_id)
        if target is None or to_id == conv.operator_id:
            raise ConsultError("unknown_operator", "no such other operator", 404)
        if to_id not in await presence.reachable_ids(session, deps.limits):
            raise ConsultError("unknown_operator", f"{target.display_name} is not online", 409)
        previous = conv.operator_id
        routing.assign(conv, target)
    if previous:
        await broadcast.chat_removed(deps, conv_id, previous, "transferred")
    await broadcast.chat_to_operator(deps, conv_id, to_id)
    await broadcast.visitor_conversation(deps, conv_id)
    await broadcast.push_team_list(deps)


async def close(deps: Deps, operator: Operator, conv_id: int) -> None:
    async with deps.routing() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise not_found("conversation")
        if conv.status == "closed":
            raise ConsultError("conversation_closed", "the conversation is already closed", 409)
        if conv.operator_id != operator.id and operator.role != "admin":
            raise forbidden("this chat is not yours")
        owner, was_queued = conv.operator_id, conv.status == "queued"
        conv.status = "closed"
        conv.closed_at = utcnow()
        await session.flush()
        # A place came free: the queue moves on in the same decision.
        assigned = await routing.drain(session, deps.limits)
    if owner:
        await broadcast.chat_removed(deps, conv_id, owner, "closed")
    if was_queued:
        queue_feed.feed(deps).left(conv_id, "closed")
    queue_feed.feed(deps).touch()  # a place came free
    await broadcast.visitor_conversation(deps, conv_id)
    await broadcast.assignments(deps, assigned)
    await broadcast.push_team_list(deps)


async def drain_queue(deps: Deps) -> None:
    """Hands waiting chats to free places after places changed (which moves availability)."""
    queue_feed.feed(deps).touch()
    async with deps.routing() as session:
        assigned = await routing.drain(session, deps.limits)
    if assigned:
        await broadcast.assignments(deps, assigned)
        await broadcast.push_team_list(deps)


async def rate(deps: Deps, visitor_id: int, conv_id: int, score: int, comment: str | None) -> None:
    """The visitor's 1–5 for a closed chat; once."""
    async with deps.write() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None or conv.visitor_id != visitor_id:
            raise not_found("conversation")
        if conv.status != "closed":
            raise ConsultError("conversation_open", "a chat is rated once it is closed", 409)
        if conv.rating is not None:
            raise ConsultError("already_rated", "this chat is already rated", 409)
        conv.rating, conv.rated_at = score, utcnow()
        conv.rating_comment = (comment or "").strip()[:2000] or None
