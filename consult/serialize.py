"""The JSON shapes of docs/protocol.md, built from rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prilavok.storage.models import Conversation, HotReply, Message, Operator


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message(msg: Message, author_name: str | None = None) -> dict[str, Any]:
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


def visitor_conversation(
    conv: Conversation, operator_name: str | None, queue_position: int | None
) -> dict[str, Any]:
    return {
        "id": conv.id,
        "status": conv.status,
        "operator_name": operator_name,
        "queue_position": queue_position if conv.status == "queued" else None,
        "rated": conv.rating is not None,
    }


def waiting_conversation(conv_id: int, place: int) -> dict[str, Any]:
    """A visitor's waiting conversation whose place moved (as `visitor_conversation`)."""
    return {
        "id": conv_id,
        "status": "queued",
        "operator_name": None,
        "queue_position": place,
        "rated": False,
    }


def hot_reply(reply: HotReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "shortcut": reply.shortcut,
        "text": reply.text,
        "scope": "global" if reply.operator_id is None else "own",
    }
