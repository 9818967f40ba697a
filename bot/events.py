"""Recording what happened, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.storage.models import OfferEvent


def record(
    session: AsyncSession,
    customer_id: int,
    kind: str,
    at: datetime,
    *,
    channel: str | None = None,
    delivery_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        OfferEvent(
            customer_id=customer_id,
            kind=kind,
            at=at,
            channel=channel,
            delivery_id=delivery_id,
            detail=detail,
        )
    )
