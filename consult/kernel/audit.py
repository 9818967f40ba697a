"""The audit log: who changed a rule, an operator, a key or a setting, and when. Written in the
same transaction as the change, so a change is never without its entry (nor the reverse)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.storage.models import AuditEntry

CLI = "cli"
PAGE = 100


def record(session: AsyncSession, actor: str, action: str, target: str, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor[:100], action=action[:50], target=target[:200],
                           detail=detail[:2000]))  # fmt: skip


async def latest(session: AsyncSession, before_id: int | None = None) -> list[dict[str, Any]]:
    """Newest first, a page at a time (`before_id`: the last id of the previous page)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
        }
        for e in await session.scalars(query)
    ]
