"""A message as a row: the one INSERT of every message, by whichever path it comes.

A visitor's message in a group (consult.chat.visitor_messages, on the writer's connection), a
visitor's message on the careful path and an operator's message (on a session) are all rows
made by `row` and written by this statement: `(sender_key, client_id)` is unique, and a resent
client id inserts nothing (`ON CONFLICT DO NOTHING`); the caller then answers with the stored one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Message

MESSAGES = Message.__table__

# Built once: constructing a statement and its cache key costs more than running it here.
_INSERT: dict[str, Insert] = {
    name: (
        make(MESSAGES)
        .on_conflict_do_nothing(index_elements=["sender_key", "client_id"])
        .returning(*MESSAGES.c)
    )
    for name, make in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


COLUMNS = (
    "conversation_id",
    "author",
    "operator_id",
    "sender_key",
    "client_id",
    "text",
    "created_at",
)
_ARRAYS = (
    func.unnest(*(bindparam(c, type_=postgresql.ARRAY(MESSAGES.c[c].type)) for c in COLUMNS))
    .table_valued(*COLUMNS)
    .render_derived()
)
# Many rows on PostgreSQL: a column of the rows per array, unnested. The SQL is the same whatever
# the number of rows (prepared once per connection), where a multi-row VALUES is rendered, and
# prepared, for each number.
_INSERT_ARRAYS = (
    postgresql.insert(MESSAGES)
    .from_select(list(COLUMNS), select(*(_ARRAYS.c[c] for c in COLUMNS)))
    .on_conflict_do_nothing(index_elements=["sender_key", "client_id"])
    .returning(*MESSAGES.c)
)


class Duplicate(Exception):
    """The client id is already stored (a resend that raced in): the transaction rolls back."""


def clean_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise ConsultError("empty", "the message is empty")
    if len(text) > limit:
        raise ConsultError("too_long", f"the message is longer than {limit} characters", 413)
    return text


def row(
    conversation_id: int,
    author: str,
    sender_key: str,
    client_id: str | None,
    text: str,
    at: datetime,
    operator_id: int | None = None,
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "author": author,
        "operator_id": operator_id,
        "sender_key": sender_key,
        "client_id": client_id,
        "text": text,
        "created_at": at,
    }


def insert_many(conn: Connection, rows: list[dict[str, Any]]) -> list[Row[Any]]:
    """The rows stored (a resent client id gives none), on a synchronous connection."""
    if conn.dialect.name == "postgresql":
        columns = {c: [r[c] for r in rows] for c in COLUMNS}
        return list(conn.execute(_INSERT_ARRAYS, columns).all())
    return list(conn.execute(_INSERT[conn.dialect.name], rows).all())


async def insert(session: AsyncSession, one: dict[str, Any]) -> Row[Any]:
    """The row stored; `Duplicate` when its client id already is."""
    stored = (await session.execute(_INSERT[session.get_bind().dialect.name], one)).first()
    if stored is None:
        raise Duplicate
    return stored


async def existing(session: AsyncSession, sender_key: str, client_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.sender_key == sender_key, Message.client_id == client_id)
    )
