"""Creating an offer and planning it: one scheduled delivery per consenting customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog, links, message_templates
from bot.context import Offers
from consult import payloads
from consult.errors import ConsultError, not_found
from storage.models import Customer, Delivery, Offer


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=100)
    template: str = Field(min_length=1, max_length=4000)
    sms_template: str | None = Field(default=None, max_length=1000)
    starts_at: datetime | None = None
    # None: every customer of the shop with consent in some channel.
    customer_ids: list[int] | None = Field(default=None, max_length=100_000)


def parse(data: Any) -> OfferIn:
    offer = payloads.parse(OfferIn, data)
    if offer.starts_at is not None and offer.starts_at.tzinfo is None:
        raise ConsultError("invalid_payload", "starts_at needs a time zone")
    message_templates.check(offer.template)
    if offer.sms_template:
        message_templates.check(offer.sms_template)
    return offer


async def create(ctx: Offers, shop_id: str, new: OfferIn) -> tuple[Offer, int]:
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        if await catalog.get(session, shop_id, new.sku) is None:
            raise ConsultError("unknown_sku", f"no product {new.sku!r} in the catalog")
        offer = Offer(
            shop_id=shop_id,
            title=new.title,
            sku=new.sku,
            template=new.template,
            sms_template=new.sms_template or None,
            starts_at=new.starts_at or now,
            created_at=now,
        )
        session.add(offer)
        await session.flush()
        planned = await _plan(session, offer, new.customer_ids, now)
    return offer, planned


async def _plan(
    session: AsyncSession, offer: Offer, customer_ids: list[int] | None, now: datetime
) -> int:
    query = select(Customer.id, Customer.name).where(
        Customer.shop_id == offer.shop_id,
        or_(Customer.consent_telegram, Customer.consent_viber, Customer.consent_sms),
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    rows = (await session.execute(query.order_by(Customer.id))).all()
    for customer_id, name in rows:
        session.add(
            Delivery(
                offer_id=offer.id,
                customer_id=customer_id,
                attempt=1,
                code=links.new_code(),
                slug=links.name_slug(name),
                state="scheduled",
                not_before=offer.starts_at,
                tries=0,
                created_at=now,
            )
        )
    return len(rows)


async def next_attempt(
    session: AsyncSession, previous: Delivery, not_before: datetime, now: datetime
) -> Delivery:
    """Another delivery of the same offer to the same customer (after a switch or a reminder)."""
    top = await session.scalar(
        select(func.max(Delivery.attempt)).where(
            Delivery.offer_id == previous.offer_id, Delivery.customer_id == previous.customer_id
        )
    )
    nxt = Delivery(
        offer_id=previous.offer_id,
        customer_id=previous.customer_id,
        attempt=(top or 0) + 1,
        code=links.new_code(),
        slug=previous.slug,
        state="scheduled",
        not_before=not_before,
        tries=0,
        created_at=now,
    )
    session.add(nxt)
    await session.flush()
    return nxt


async def summary(ctx: Offers, shop_id: str, offer_id: int) -> dict[str, Any]:
    async with ctx.deps.sessions() as session:
        offer = await session.get(Offer, offer_id)
        if offer is None or offer.shop_id != shop_id:
            raise not_found("offer")
        rows = await session.execute(
            select(Delivery.state, Delivery.channel, func.count())
            .where(Delivery.offer_id == offer_id)
            .group_by(Delivery.state, Delivery.channel)
        )
        states: dict[str, int] = {}
        for state, channel, n in rows.all():
            key = f"{state}:{channel}" if channel else state
            states[key] = states.get(key, 0) + n
    return {"id": offer.id, "title": offer.title, "sku": offer.sku, "deliveries": states}
