"""The personal page's blocks beyond the product (the electronics chain's landing pages):
goods that match the one offered — in stock, of its category, none the customer bought —
and a rating of the last purchase's service. A rating is the customer's, once per page: a
low one (1 or 2) reaches the staff chat at once, so a manager can put it right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import events
from prilavok.bot.context import Offers
from prilavok.bot.staff import tell_staff
from prilavok.storage.models import Customer, Delivery, OfferEvent, Product, PurchaseLine

MATCHING_SHOWN = 4
LOW = 2


def _money(value: Any) -> str:
    return f"{float(value or 0):.2f}".rstrip("0").rstrip(".")


async def blocks(
    session: AsyncSession, d: Delivery, customer: Customer, product: Product
) -> dict[str, Any]:
    bought = set(
        await session.scalars(
            select(PurchaseLine.sku).where(PurchaseLine.customer_id == customer.id).limit(1000)
        )
    )
    matching: list[dict[str, Any]] = []
    if product.category:
        rows = await session.scalars(
            select(Product)
            .where(
                Product.shop_id == product.shop_id,
                Product.category == product.category,
                Product.stock > 0,
                Product.sku != product.sku,
            )
            .order_by(Product.price, Product.id)
            .limit(MATCHING_SHOWN + len(bought))
        )
        matching = [
            {"title": p.title, "price": _money(p.price), "url": p.product_url or ""}
            for p in rows
            if p.sku not in bought
        ][:MATCHING_SHOWN]
    # The last order, named by its dearest item (the phone, not the case bought with it).
    latest = await session.scalar(
        select(PurchaseLine.order_ref)
        .where(PurchaseLine.customer_id == customer.id)
        .order_by(PurchaseLine.bought_at.desc(), PurchaseLine.id.desc())
        .limit(1)
    )
    last = await session.scalar(
        select(PurchaseLine)
        .where(PurchaseLine.customer_id == customer.id, PurchaseLine.order_ref == latest)
        .order_by(PurchaseLine.price.desc(), PurchaseLine.id)
        .limit(1)
    )
    title = last.title if last is not None else ""
    if last is not None and not title:
        known = await session.scalar(
            select(Product.title).where(Product.shop_id == product.shop_id, Product.sku == last.sku)
        )
        title = known or last.sku
    rated = await session.scalar(
        select(OfferEvent.detail)
        .where(OfferEvent.delivery_id == d.id, OfferEvent.kind == "rating")
        .limit(1)
    )
    return {
        "matching": matching,
        "last_purchase": {
            "title": title,
            "on": last.bought_at.strftime("%d.%m.%Y"),
        }
        if last is not None
        else None,
        "rated": rated,
    }


async def rate(ctx: Offers, code: str, score: int) -> bool:
    """Records the rating once for the page; False when it was given before."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        d = await session.scalar(select(Delivery).where(Delivery.code == code))
        if d is None:
            return False
        before = await session.scalar(
            select(OfferEvent.id).where(OfferEvent.delivery_id == d.id, OfferEvent.kind == "rating")
        )
        if before is not None:
            return False
        customer = await session.get(Customer, d.customer_id)
        assert customer is not None
        events.record(session, d.customer_id, "rating", now, channel=d.channel, delivery_id=d.id,
                      detail=str(score))  # fmt: skip
        name, phone = customer.name, customer.phone
    if score <= LOW:
        await tell_staff(ctx, f"Низкая оценка обслуживания: {score} из 5 — {name}, {phone}")
    return True
