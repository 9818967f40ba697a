"""The common case of a visitor's message, stored by group commit (consult.grouping).

Most messages go to a conversation that is already open. For a group of them, one transaction
reads the senders' open conversations, inserts every message with one statement, stamps each
conversation's `last_message_at` and commits (`Deps.transaction`: on SQLite, one hop to the
writer thread for the whole group). Anything unusual (no open conversation yet, a resent client
id, a conversation named that is not the open one) is answered `None`, and
`conversations.post_visitor_message` takes its careful path for that message alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from prilavok.consult import serialize, waiting
from prilavok.consult.deps import Deps
from prilavok.consult.grouping import Grouper
from prilavok.storage.models import Conversation, Message, Operator, utcnow
from sqlalchemy import Connection, Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

# Bounded so one statement stays well under SQLite's limit on bound parameters.
MAX_GROUP = 256
MESSAGES = Message.__table__
CONVERSATIONS = Conversation.__table__


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
    """Stores a new message to the visitor's open conversation, or answers None (see above)."""
    grouper = deps.groups.get(__name__)
    if grouper is None:
        grouper = deps.groups[__name__] = Grouper(partial(_store_group, deps), MAX_GROUP)
    result: Stored | None = await grouper.submit(incoming)
    return result


async def _store_group(deps: Deps, jobs: list[Incoming]) -> list[Stored | None]:
    return await deps.transaction(partial(_store, jobs=jobs))


# Built once: constructing a statement and its cache key costs more than running it here.
_OPEN_CONVERSATIONS = (
    select(
        Conversation.id,
        Conversation.visitor_id,
        Conversation.status,
        Conversation.operator_id,
        Conversation.queued_at,
        Conversation.rating,
        Operator.display_name,
    )
    .outerjoin(Operator, Operator.id == Conversation.operator_id)
    .where(
        Conversation.visitor_id.in_(bindparam("visitor_ids", expanding=True)),
        Conversation.status != "closed",
    )
    # By id, so that a visitor's newest open conversation is the last one read.
    .order_by(Conversation.id)
)
_STAMP = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("conv_id"))
    .values(last_message_at=bindparam("at"))
)
_INSERT: dict[str, Insert] = {
    name: (
        make(MESSAGES)
        # A resent client id inserts nothing; the careful path answers with the stored message.
        .on_conflict_do_nothing(index_elements=["sender_key", "client_id"])
        .returning(*MESSAGES.c)
    )
    for name, make in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def _store(conn: Connection, jobs: list[Incoming]) -> list[Stored | None]:
    convs = {
        row.visitor_id: row
        for row in conn.execute(
            _OPEN_CONVERSATIONS, {"visitor_ids": list({j.visitor_id for j in jobs})}
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
        rows.append(
            {
                "conversation_id": conv.id,
                "author": "visitor",
                "operator_id": None,
                "sender_key": key[0],
                "client_id": key[1],
                "text": job.text,
                "created_at": now,
            }
        )
    results: list[Stored | None] = [None] * len(jobs)
    if not rows:
        return results
    inserted = conn.execute(_INSERT[conn.dialect.name], rows).all()
    conn.execute(_STAMP, [{"conv_id": c, "at": now} for c in {r["conversation_id"] for r in rows}])
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
