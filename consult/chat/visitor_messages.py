"""A visitor's message: the one intake, its two paths side by side.

`post_visitor_message` is what the widget's `message` event calls. The common case — a new
message to a conversation already open — is stored by group commit (consult.chat.grouping): for a
group of them, one transaction reads the senders' open conversations, inserts every message with
one statement, stamps each conversation's `last_message_at` and commits (`Deps.transaction`: on
SQLite, one hop to the writer thread for the whole group). Anything unusual (no open
conversation yet, a resent client id, a conversation named that is not the open one) is answered
`None` by the group and takes the careful path, for that message alone; a first message opens
its conversation in a group of another kind (consult.chat.opening: one routing decision for
the new chats that came together). Both write through `consult.chat.messages` (one INSERT) and
answer with the shapes of `consult.kernel.serialize`; both push only after their commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, any_, bindparam, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import broadcast, messages, opening, queue_feed, waiting
from prilavok.consult.chat.conversations import own_conversation
from prilavok.consult.chat.grouping import OverlappingGrouper
from prilavok.consult.kernel import serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import OPERATOR_NS, VISITOR_NS, operator_room, visitor_room
from prilavok.consult.visitors.visits import open_conversation
from prilavok.storage.models import Conversation, Operator, utcnow

# Bounded so one statement stays well under SQLite's limit on bound parameters.
MAX_GROUP = 256
CONVERSATIONS = Conversation.__table__
DIALECTS = ("postgresql", "sqlite")


@dataclass(frozen=True)
class Incoming:
    visitor_id: int
    client_id: str
    text: str
    # The conversation the widget named, if it named one.
    conversation_id: int | None = None


@dataclass(frozen=True)
class Stored:
    message: dict[str, Any]
    # As the visitor sees it (serialize.visitor_conversation).
    conversation: dict[str, Any]
    status: str
    operator_id: int | None


async def store(deps: Deps, incoming: Incoming) -> Stored | None:
    """The grouped path: stores a new message to the visitor's open conversation, or answers
    None (see above)."""
    grouper = deps.groups.get(__name__)
    if grouper is None:
        grouper = deps.groups[__name__] = OverlappingGrouper(partial(_store_group, deps), MAX_GROUP)
    result: Stored | None = await grouper.submit(incoming)
    return result


async def _store_group(
    deps: Deps, jobs: list[Incoming], written: Callable[[], None]
) -> list[Stored | None]:
    # The next group writes while this one commits (consult.chat.grouping).
    return await deps.transaction(partial(_store, jobs=jobs), written)


# Built once: constructing a statement and its cache key costs more than running it here.
# The ids of a group go as one array on PostgreSQL (`= ANY`), so each statement's SQL is the
# same whatever the group's size: prepared once per connection, never rendered again. SQLite
# has no arrays: an IN list, rendered for each size.
def _ids(column: ColumnElement[int], name: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))


_OPEN_CONVERSATIONS = {
    dialect: select(
        Conversation.id,
        Conversation.visitor_id,
        Conversation.status,
        Conversation.operator_id,
        Conversation.queued_at,
        Conversation.rating,
        Operator.display_name,
    )
    .outerjoin(Operator, Operator.id == Conversation.operator_id)
    .where(_ids(Conversation.visitor_id, "visitor_ids", dialect), Conversation.status != "closed")
    # By id, so that a visitor's newest open conversation is the last one read.
    .order_by(Conversation.id)
    for dialect in DIALECTS
}
# One statement for the group's conversations (one time for all), not one execution each.
_STAMP = {
    dialect: update(CONVERSATIONS)
    .where(_ids(CONVERSATIONS.c.id, "conv_ids", dialect))
    .values(last_message_at=bindparam("at"))
    for dialect in DIALECTS
}


def _store(conn: Connection, jobs: list[Incoming]) -> list[Stored | None]:
    convs = {
        row.visitor_id: row
        for row in conn.execute(
            _OPEN_CONVERSATIONS[conn.dialect.name],
            {"visitor_ids": list({j.visitor_id for j in jobs})},
        )
    }
    now = utcnow()
    rows: list[dict[str, Any]] = []
    claimed: dict[tuple[str, str], int] = {}
    for index, job in enumerate(jobs):
        conv = convs.get(job.visitor_id)
        key = (f"v:{job.visitor_id}", job.client_id)
        if conv is None or job.conversation_id not in (None, conv.id) or key in claimed:
            continue
        claimed[key] = index
        rows.append(messages.row(conv.id, "visitor", key[0], key[1], job.text, now))
    results: list[Stored | None] = [None] * len(jobs)
    if not rows:
        return results
    inserted = messages.insert_many(conn, rows)
    conn.execute(
        _STAMP[conn.dialect.name],
        {"conv_ids": sorted({r["conversation_id"] for r in rows}), "at": now},
    )
    for msg in inserted:
        index = claimed[(msg.sender_key, msg.client_id)]
        conv = convs[jobs[index].visitor_id]
        place = None
        if conv.status == "queued" and conv.queued_at is not None:
            place = waiting.place_from_ahead(conn.scalar(waiting.ahead(conv.id, conv.queued_at)))
        results[index] = Stored(
            message=serialize.message(msg),
            conversation=serialize.visitor_conversation(conv, conv.display_name, place),
            status=conv.status,
            operator_id=conv.operator_id,
        )
    return results


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
    text = messages.clean_text(text, deps.limits.max_message_length)
    incoming = Incoming(visitor_id, client_id, text, conversation_id)
    stored = await store(deps, incoming)
    if stored is not None:
        await _relay(deps, visitor_id, stored.message, sid, stored.status, stored.operator_id)
        return {"message": stored.message, "conversation": stored.conversation}
    return await _careful(deps, incoming, sid, address)


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


async def _careful(
    deps: Deps, incoming: Incoming, sid: str | None, address: str | None
) -> dict[str, Any]:
    """The careful path: a resent message, a new conversation, a conversation named."""
    visitor_id, client_id, text = incoming.visitor_id, incoming.client_id, incoming.text
    key = f"v:{visitor_id}"
    if incoming.conversation_id is not None:
        await own_conversation(deps, visitor_id, incoming.conversation_id)
    async with deps.sessions() as session:
        old = await messages.existing(session, key, client_id)
        if old is not None:
            return await _ack(deps, old)
        conv = await open_conversation(session, visitor_id)
    created = conv is None
    if created and address is not None:
        await deps.throttle.hit("address_conversations", address)
    try:
        if created:
            opened = await opening.open_chat(deps, opening.Opening(visitor_id, client_id, text))
            if opened.message is None:
                raise messages.Duplicate
            msg, created = opened.message, opened.created
            conv_id, status, operator_id = opened.conversation_id, opened.status, opened.operator_id
        else:
            async with deps.write() as session:
                conv = await session.get(Conversation, conv.id, with_for_update=False)
                assert conv is not None
                msg = await _insert(session, conv, key, client_id, text)
                conv_id, status, operator_id = conv.id, conv.status, conv.operator_id
    except (IntegrityError, messages.Duplicate):
        # The same client id raced in from another tab or process: the first one won.
        async with deps.sessions() as session:
            old = await messages.existing(session, key, client_id)
        if old is None:
            raise
        return await _ack(deps, old)

    data = serialize.message(msg)
    if created:
        await deps.notifier.emit(
            "message", data, room=visitor_room(visitor_id), namespace=VISITOR_NS, skip_sid=sid
        )
        if operator_id:
            # The new chat went straight to an operator: the queue did not change. The
            # conversation the visitor's tabs were told is the ack's too.
            told = await broadcast.assignments(deps, [(conv_id, operator_id)], left_queue=None)
            if conv_id in told:
                return {"message": data, "conversation": told[conv_id]}
        else:
            queue_feed.feed(deps).joined(conv_id)
    else:
        await _relay(deps, visitor_id, data, sid, status, operator_id)
    return await _ack(deps, msg)


async def _insert(
    session: AsyncSession, conv: Conversation, key: str, client_id: str, text: str
) -> serialize.MessageLike:
    now = utcnow()
    conv.last_message_at = now
    return await messages.insert(
        session, messages.row(conv.id, "visitor", key, client_id, text, now)
    )


async def _ack(deps: Deps, msg: serialize.MessageLike) -> dict[str, Any]:
    async with deps.sessions() as session:
        found = await waiting.seen_by_visitor(session, msg.conversation_id)
    assert found is not None
    return {"message": serialize.message(msg), "conversation": found[1]}
