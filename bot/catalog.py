"""The shop's catalog: what is in stock decides what may be offered."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import Reason, State
from prilavok.consult.kernel import payloads
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Delivery, Offer, Product


def _http_url(value: str | None) -> str | None:
    if value and not value.startswith(("https://", "http://")):
        raise ValueError("an http(s) URL")
    return value


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    photo_url: str | None = Field(default=None, max_length=2000)
    product_url: str | None = Field(default=None, max_length=2000)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    stock: int = Field(ge=0, le=2**31 - 1)  # an INTEGER column
    analogue_sku: str | None = Field(default=None, max_length=100)
    # Journeys offer goods in stock from the same category (the abandoned cart's second step).
    category: str | None = Field(default=None, max_length=100)

    _urls = field_validator("photo_url", "product_url")(_http_url)


def parse_batch(items: Any) -> list[ProductIn]:
    if not isinstance(items, list) or not items:
        raise ConsultError("invalid_payload", "products: a non-empty list")
    out = []
    for i, item in enumerate(items):
        out.append(payloads.parse(ProductIn, item, f"products[{i}]"))
    return out


async def upsert(ctx: Offers, shop_id: str, items: list[ProductIn]) -> int:
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        for item in items:
            product = await session.scalar(
                select(Product).where(Product.shop_id == shop_id, Product.sku == item.sku)
            )
            if product is None:
                product = Product(shop_id=shop_id, sku=item.sku)
                session.add(product)
            for key, value in item.model_dump().items():
                setattr(product, key, value)
            product.updated_at = now
        # Offers waiting for stock look again at once rather than at their next recheck.
        waiting = select(Offer.id).where(Offer.shop_id == shop_id)
        await session.execute(
            update(Delivery)
            .where(
                Delivery.state == State.SCHEDULED,
                Delivery.reason == Reason.OUT_OF_STOCK,
                Delivery.offer_id.in_(waiting),
                Delivery.not_before > now,
            )
            .values(not_before=now)
        )
    return len(items)


async def get(session: AsyncSession, shop_id: str, sku: str) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.shop_id == shop_id, Product.sku == sku)
    )


async def available(session: AsyncSession, shop_id: str, sku: str) -> Product | None:
    """The product if in stock, else the analogue the shop named if that is, else None."""
    product = await get(session, shop_id, sku)
    if product is None:
        return None
    if product.stock > 0:
        return product
    if product.analogue_sku:
        analogue = await get(session, shop_id, product.analogue_sku)
        if analogue is not None and analogue.stock > 0:
            return analogue
    return None
