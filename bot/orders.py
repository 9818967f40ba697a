"""Orders the shop reports back with an offer's code: the revenue side of the reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from prilavok.bot import events
from prilavok.bot.context import Offers
from prilavok.consult.kernel import http_input, payloads
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Delivery, Offer, ShopOrder


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order_ref: str = Field(min_length=1, max_length=100)
    code: str = Field(pattern=r"^[a-z0-9]{1,16}$")
    revenue: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    ordered_at: datetime | None = None


def parse(data: Any) -> OrderIn:
    order = payloads.parse(OrderIn, data)
    if order.ordered_at is not None and order.ordered_at.tzinfo is None:
        raise ConsultError("invalid_payload", "ordered_at needs a time zone")
    http_input.check_moment(order.ordered_at, "ordered_at")
    return order


async def record(ctx: Offers, shop_id: str, order: OrderIn) -> tuple[dict[str, Any], bool]:
    """Stores the order once per (shop, order_ref); returns it and whether it was new."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d = await session.scalar(select(Delivery).where(Delivery.code == order.code))
        offer = await session.get(Offer, d.offer_id) if d else None
        if d is None or offer is None or offer.shop_id != shop_id:
            raise ConsultError("unknown_code", "no offer of this shop has that code", 404)
        existing = await session.scalar(
            select(ShopOrder).where(
                ShopOrder.shop_id == shop_id, ShopOrder.order_ref == order.order_ref
            )
        )
        if existing is not None:
            return _as_dict(existing), False
        row = ShopOrder(
            shop_id=shop_id,
            order_ref=order.order_ref,
            code=order.code,
            revenue=order.revenue,
            ordered_at=order.ordered_at or now,
        )
        session.add(row)
        events.record(session, d.customer_id, "ordered", now, channel=d.channel, delivery_id=d.id)
        await session.flush()
        return _as_dict(row), True


def _as_dict(row: ShopOrder) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_ref": row.order_ref,
        "code": row.code,
        "revenue": str(row.revenue),
        "ordered_at": row.ordered_at.isoformat(),
    }
