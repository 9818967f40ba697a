"""The JSON shapes of docs/protocol.md, built from rows: each shape is written here once.

A conversation as the visitor sees it, a chat as the console sees it, a message: every path
that sends one (a session, an ack of either intake path, a push, a place that moved) builds it
here, so the keys cannot drift apart. Queue places come from `consult.chat.waiting`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from prilavok.storage.models import Conversation, HotReply, Operator, Visit, Visitor


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class MessageLike(Protocol):
    """A `Message` object or a row of the messages table (the intake's INSERT … RETURNING)."""

    id: int
    conversation_id: int
    author: str
    text: str
    client_id: str | None
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None


def message(msg: MessageLike, author_name: str | None = None) -> dict[str, Any]:
    return {
        "id": msg.id,
        "conversation_id": msg.conversation_id,
        "author": msg.author,
        "author_name": author_name,
        "text": msg.text,
        "client_id": msg.client_id,
        "created_at": iso(msg.created_at),
        "delivered_at": iso(msg.delivered_at),
        "read_at": iso(msg.read_at),
    }


def operator(op: Operator) -> dict[str, Any]:
    return {
        "id": op.id,
        "login": op.login,
        "name": op.display_name,
        "role": op.role,
        "status": op.status,
        "capacity": op.capacity,
        "active": op.deactivated_at is None,
    }


def _as_visitor_sees_it(
    conv_id: int, status: str, operator_name: str | None, place: int | None, rated: bool
) -> dict[str, Any]:
    return {
        "id": conv_id,
        "status": status,
        "operator_name": operator_name,
        "queue_position": place if status == "queued" else None,
        "rated": rated,
    }


class ConversationLike(Protocol):
    id: int
    status: str
    rating: int | None


def visitor_conversation(
    conv: ConversationLike, operator_name: str | None, queue_position: int | None
) -> dict[str, Any]:
    """From a conversation (object or row) whose operator's name and place are known."""
    return _as_visitor_sees_it(
        conv.id, conv.status, operator_name, queue_position, conv.rating is not None
    )


def waiting_conversation(conv_id: int, place: int) -> dict[str, Any]:
    """A waiting conversation whose place moved: waiting, so neither answered nor rated."""
    return _as_visitor_sees_it(conv_id, "queued", None, place, False)


def chat(
    conv: Conversation,
    visitor: Visitor,
    operator_name: str | None,
    visit: Visit | None,
    unread: int,
    last: tuple[MessageLike, str | None] | None,
    place: int | None,
) -> dict[str, Any]:
    """A chat as the console sees it (consult.chat.chats reads what it is made of)."""
    return {
        "id": conv.id,
        "status": conv.status,
        "visitor": {"id": visitor.id, "name": visitor.name},
        "operator_id": conv.operator_id,
        "operator_name": operator_name,
        "unread": unread,
        "last_message": message(*last) if last else None,
        "created_at": iso(conv.created_at),
        "queued_at": iso(conv.queued_at),
        "queue_position": place,
        "left_offline": conv.left_offline,
        "current_url": visit.current_url if visit else None,
        "current_title": visit.current_title if visit else None,
    }


def hot_reply(reply: HotReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "shortcut": reply.shortcut,
        "text": reply.text,
        "scope": "global" if reply.operator_id is None else "own",
    }
