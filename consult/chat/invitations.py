"""Which invitation a new chat answers (read by conversations when a chat opens)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from prilavok.storage.models import Invitation, utcnow


async def origin_of_new_chat(session: Any, visit_id: int | None) -> Invitation | None:
    """The invitation a new chat answers: accepted, or a panel opened for the visitor, in this
    visit and recently."""
    if visit_id is None:
        return None
    return (await origins_of_new_chats(session, [visit_id])).get(visit_id)


async def origins_of_new_chats(session: Any, visit_ids: list[int]) -> dict[int, Invitation]:
    """`origin_of_new_chat` for many visits at once, in one query: visit id -> invitation."""
    since = utcnow() - timedelta(minutes=30)
    found: dict[int, Invitation] = {}
    for inv in await session.scalars(
        select(Invitation)
        .where(
            Invitation.visit_id.in_(visit_ids),
            Invitation.group == "treated",
            Invitation.created_at >= since,
            (Invitation.status == "accepted")
            | ((Invitation.status == "shown") & (Invitation.action == "open")),
        )
        .order_by(Invitation.id.desc())
    ):
        found.setdefault(inv.visit_id, inv)  # the newest of each visit
    return found
