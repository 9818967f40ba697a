"""Actions on conversations: messages, receipts, taking, transferring and closing.

Each action commits first and pushes afterwards, so nothing is announced that was not stored.
"""

from __future__ import annotations

from typing import Any

from prilavok.consult import (
    availability,
    broadcast,
    presence,
    queue_feed,
    routing,
    serialize,
    visitor_messages,
)
from prilavok.consult.deps import Deps
from prilavok.consult.errors import ConsultError, forbidden, not_found
from prilavok.consult.invitations import origin_of_new_chat
from prilavok.consult.notifier import OPERATOR_NS, VISITOR_NS, operator_room, visitor_room
from prilavok.consult.visitors import current_visit, history
from prilavok.storage.models import Conversation, Message, Operator, utcnow
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession


def clean_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise ConsultError("empty", "the message is empty")
    if len(text) > limit:
        raise ConsultError("too_long", f"the message is longer than {limit} characters", 413)
    return text


async def open_conversation(session: AsyncSession, visitor_id: int) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor_id, Conversation.status != "closed")
        .order_by(Conversation.id.desc())
        .limit(1)
    )


async def _existing(session: AsyncSession, sender_key: str, client_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.sender_key == sender_key, Message.client_id == client_id)
    )


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
        found = await serialize.seen_by_visitor(session, conv.id)
        assert found is not None
        return {"conversation": found[1], "messages": await history(session, conv.id)}


async def post_visitor_message(
    deps: Deps,
    visitor_id: int,
    client_id: str,
    text: str,
    conversation_id: int | None = None,
    *,
    sid: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """Stores a visitor's message (opening a conversation if needed) and returns the ack.

    `conversation_id`, when the widget names one, must be one of the visitor's own. `sid` is the
    sending connection: the ack brings it the message, the visitor's other tabs get an event.
    `address` is the client's, to limit the conversations one address opens."""
    text = clean_text(text, deps.limits.max_message_length)
    incoming = visitor_messages.Incoming(visitor_id, client_id, text, conversation_id)
    stored = await visitor_messages.store(deps, incoming)
    if stored is not None:
        await _relay(deps, visitor_id, stored.message, sid, stored.status, stored.operator_id)
        return {"message": stored.message, "conversation": stored.conversation}
    return await _post_visitor_message_alone(deps, incoming, sid, address)


async def _relay(
    deps: Deps,
    visitor_id: int,
    data: dict[str, Any],
    sid: str | None,
    status: str,
    operator_id: int | None,
) -> None:
    """A stored visitor message to the visitor's other tabs, and to its operator or the queue."""
    await deps.notifier.emit(
        "message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS, skip_sid=sid
    )
    if status == "queued":
        queue_feed.feed(deps).changed(data["conversation_id"])
    elif operator_id:
        await deps.notifier.emit(
            "message", data, room=operator_room(operator_id), namespace=OPERATOR_NS
        )


async def _post_visitor_message_alone(
    deps: Deps, incoming: visitor_messages.Incoming, sid: str | None, address: str | None
) -> dict[str, Any]:
    """The careful path: a resent message, a new conversation, a conversation named."""
    visitor_id, client_id, text = incoming.visitor_id, incoming.client_id, incoming.text
    key = f"v:{visitor_id}"
    if incoming.conversation_id is not None:
        await own_conversation(deps, visitor_id, incoming.conversation_id)
    async with deps.sessions() as session:
        old = await _existing(session, key, client_id)
        if old is not None:
            return await _visitor_ack(deps, old)
        conv = await open_conversation(session, visitor_id)
    assigned: list[tuple[int, int]] = []
    created = conv is None
    if created and address is not None:
        await deps.throttle.hit("address_conversations", address)
    try:
        if created:
            async with deps.routing() as session:
                conv = await open_conversation(session, visitor_id)
                if conv is None:
                    visit = await current_visit(session, visitor_id, deps.limits)
                    now = utcnow()
                    conv = Conversation(
                        visitor_id=visitor_id,
                        visit_id=visit.id if visit else None,
                        status="queued",
                        created_at=now,
                        queued_at=now,
                    )
                    answered = await origin_of_new_chat(session, conv.visit_id)
                    if answered is not None:
                        conv.origin, conv.invitation_id = "invitation", answered.id
                        answered.status = "accepted"
                        answered.responded_at = answered.responded_at or now
                    session.add(conv)
                    await session.flush()
                    operator = await routing.pick(session, deps.limits)
                    if operator is not None:
                        routing.assign(conv, operator)
                        assigned.append((conv.id, operator.id))
                    else:
                        # Nobody can answer now: kept, and marked for whoever comes first.
                        reason = await availability.closed_reason(session, deps.limits)
                        conv.left_offline = reason is not None
                msg = _new_message(conv, "visitor", key, client_id, text)
                session.add(msg)
                await session.flush()
        else:
            async with deps.write() as session:
                conv = await session.get(Conversation, conv.id, with_for_update=False)
                assert conv is not None
                msg = _new_message(conv, "visitor", key, client_id, text)
                session.add(msg)
                await session.flush()
    except IntegrityError:
        # The same client id raced in from another tab or process: the first one won.
        async with deps.sessions() as session:
            old = await _existing(session, key, client_id)
        if old is None:
            raise
        return await _visitor_ack(deps, old)

    data = serialize.message(msg)
    if assigned:
        await deps.notifier.emit(
            "message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS, skip_sid=sid
        )
        # The new chat went straight to an operator: the queue did not change.
        await broadcast.assignments(deps, assigned, left_queue=None)
    elif created and conv.status == "queued":
        await deps.notifier.emit(
            "message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS, skip_sid=sid
        )
        queue_feed.feed(deps).joined(conv.id)
    else:
        await _relay(deps, visitor_id, data, sid, conv.status, conv.operator_id)
    return await _visitor_ack(deps, msg)


def _new_message(
    conv: Conversation,
    author: str,
    sender_key: str,
    client_id: str | None,
    text: str,
    operator_id: int | None = None,
) -> Message:
    now = utcnow()
    conv.last_message_at = now
    return Message(
        conversation_id=conv.id,
        author=author,
        operator_id=operator_id,
        sender_key=sender_key,
        client_id=client_id,
        text=text,
        created_at=now,
    )


async def _visitor_ack(deps: Deps, msg: Message) -> dict[str, Any]:
    async with deps.sessions() as session:
        found = await serialize.seen_by_visitor(session, msg.conversation_id)
    assert found is not None
    return {"message": serialize.message(msg), "conversation": found[1]}


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
    text = clean_text(text, deps.limits.max_message_length)
    key = f"o:{operator.id}"
    try:
        async with deps.write() as session:
            old = await _existing(session, key, client_id)
            if old is not None:
                return serialize.message(old, await _author_name(session, old))
            conv = await _own_active(session, operator, conv_id)
            msg = _new_message(conv, "operator", key, client_id, text, operator.id)
            if conv.first_response_at is None:
                conv.first_response_at = msg.created_at
            session.add(msg)
            await session.flush()
            visitor_id = conv.visitor_id
    except IntegrityError:
        async with deps.sessions() as session:
            old = await _existing(session, key, client_id)
            if old is None:
                raise
            return serialize.message(old, operator.display_name)
    data = serialize.message(msg, operator.display_name)
    await deps.notifier.emit("message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS)
    await deps.notifier.emit(
        "message", data, room=operator_room(operator.id), namespace=OPERATOR_NS
    )
    return data


async def mark(
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
    await broadcast.team(deps)


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
    await broadcast.team(deps)


async def drain_queue(deps: Deps) -> None:
    """Hands waiting chats to free places after places changed (which moves availability)."""
    queue_feed.feed(deps).touch()
    async with deps.routing() as session:
        assigned = await routing.drain(session, deps.limits)
    if assigned:
        await broadcast.assignments(deps, assigned)
        await broadcast.team(deps)


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
