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
    since = utcnow() - timedelta(minutes=30)
    return await session.scalar(
        select(Invitation)
        .where(
            Invitation.visit_id == visit_id,
            Invitation.group == "treated",
            Invitation.created_at >= since,
            (Invitation.status == "accepted")
            | ((Invitation.status == "shown") & (Invitation.action == "open")),
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    )
