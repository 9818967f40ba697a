"""Creating an offer and planning it: one scheduled delivery per consenting customer.

Planning streams the eligible customers in chunks and writes each chunk with one bulk INSERT
(executemany), so a shop of hundreds of thousands of customers plans in seconds and in flat
memory: no ORM object per customer, slugs made once per distinct name, codes made in bulk.
Texts are rendered at send time (`bot/compose.py`), for the channel the customer has then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import catalog, fallback, links, message_templates
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import Reason, State
from prilavok.bot.fallback import Reaches
from prilavok.consult.kernel import http_input, payloads
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.storage.models import Customer, Delivery, Offer

# Customers read and deliveries written per round trip: big enough that statement overhead
# vanishes, small enough to stay under every driver's limit of bound parameters (32,767).
CHUNK = 5_000
_PICK_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.phone,
    Customer.channel,
    Customer.exhausted,
    Customer.opted_out_at,
    Customer.consent_telegram,
    Customer.consent_viber,
    Customer.consent_sms,
    Customer.telegram_chat_id,
    Customer.telegram_blocked,
    Customer.viber_user_id,
    Customer.viber_subscribed,
)
# In the summary: reasons counted for these states, under these names.
_WITH_REASONS = {State.SCHEDULED: "waiting", State.FAILED: "failed", State.SWITCHED: "switched"}
# Distinct names whose slugs are remembered during one planning; slugify is the slow part.
SLUG_CACHE = 100_000


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
    http_input.check_moment(offer.starts_at, "starts_at")
    message_templates.check(offer.template)
    if offer.sms_template:
        message_templates.check(offer.sms_template)
    return offer


@dataclass
class Planned:
    """What creating an offer did: how many deliveries, and how many of those customers no
    channel of this server can reach now (by reason): their deliveries will fail."""

    offer: Offer
    planned: int = 0
    unreachable: dict[str, int] = field(default_factory=dict)

    @property
    def reachable(self) -> int:
        return self.planned - sum(self.unreachable.values())

    def answer(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.offer.id,
            "planned": self.planned,
            "reachable": self.reachable,
            "unreachable": self.unreachable,
        }
        if self.reachable == 0:
            out["warning"] = {
                "code": "nobody_can_receive",
                "message": "no customer of this offer can be reached by any channel now",
            }
        return out


async def create(ctx: Offers, shop_id: str, new: OfferIn) -> Planned:
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
        planned = Planned(offer)
        await _plan(session, planned, new.customer_ids, now, ctx.channels.reaches())
    return planned


async def _plan(
    session: AsyncSession,
    planned: Planned,
    customer_ids: list[int] | None,
    now: datetime,
    reaches: Reaches,
) -> None:
    offer = planned.offer
    slugs: dict[str, str] = {}
    async for chunk in _eligible(session, offer.shop_id, customer_ids):
        if not chunk:
            continue  # listed customers none of whom may be offered anything
        if len(slugs) > SLUG_CACHE:
            slugs.clear()
        codes = await _unused_codes(session, len(chunk))
        rows = []
        for customer, code in zip(chunk, codes, strict=True):
            customer_id, name = customer.id, customer.name
            if fallback.pick(customer, reaches) is None:  # type: ignore[arg-type]
                why = fallback.why_none(customer, reaches)  # type: ignore[arg-type]
                planned.unreachable[why] = planned.unreachable.get(why, 0) + 1
            slug = slugs.get(name)
            if slug is None:
                slug = slugs[name] = links.name_slug(name)
            rows.append(
                {
                    "offer_id": offer.id,
                    "customer_id": customer_id,
                    "attempt": 1,
                    "code": code,
                    "slug": slug,
                    "state": State.SCHEDULED,
                    "not_before": offer.starts_at,
                    "tries": 0,
                    "created_at": now,
                }
            )
        # Core, not ORM: one executemany, no objects kept in the session.
        await session.execute(insert(Delivery.__table__), rows)
        planned.planned += len(rows)


async def _eligible(
    session: AsyncSession, shop_id: str, customer_ids: list[int] | None
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The shop's customers with consent in some channel (of those listed), by id, in chunks;
    with the columns fallback.pick() reads, not whole objects."""
    query = (
        select(*_PICK_COLUMNS)
        .where(
            Customer.shop_id == shop_id,
            or_(Customer.consent_telegram, Customer.consent_viber, Customer.consent_sms),
        )
        .order_by(Customer.id)
    )
    if customer_ids is None:
        # A server-side cursor: one query and one snapshot, fetched a chunk at a time.
        result = await session.stream(query.execution_options(yield_per=CHUNK))
        async for part in result.partitions():
            yield part
        return
    wanted = sorted(set(customer_ids))
    for start in range(0, len(wanted), CHUNK):
        part = query.where(Customer.id.in_(wanted[start : start + CHUNK]))
        yield (await session.execute(part)).all()


async def _unused_codes(session: AsyncSession, n: int) -> list[str]:
    """n codes unused so far. 12 symbols of 32 make about 10^18 codes, so a repeat is all but
    impossible, but the column is unique and a repeat costs one query to avoid: a repeat
    (within the chunk, or with any row written before, this planning's included) is drawn
    again rather than failing the whole offer."""
    codes = links.new_codes(n)
    while True:
        taken = set(await session.scalars(select(Delivery.code).where(Delivery.code.in_(codes))))
        seen: set[str] = set()
        repeats = []
        for i, code in enumerate(codes):
            if code in taken or code in seen:
                repeats.append(i)
            seen.add(code)
        if not repeats:
            return codes
        for i, code in zip(repeats, links.new_codes(len(repeats)), strict=True):
            codes[i] = code


async def next_attempt(
    session: AsyncSession,
    previous: Delivery,
    not_before: datetime,
    now: datetime,
    reason: Reason | None = None,
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
        state=State.SCHEDULED,
        reason=reason,
        not_before=not_before,
        tries=0,
        created_at=now,
        # A journey's message stays its run's; a calendar offer keeps the good it names.
        run_id=previous.run_id,
        sku=previous.sku,
        first_id=previous.first_id or previous.id,
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
            select(Delivery.state, Delivery.channel, Delivery.reason, func.count())
            .where(Delivery.offer_id == offer_id)
            .group_by(Delivery.state, Delivery.channel, Delivery.reason)
        )
        states: dict[str, int] = {}
        reasons: dict[str, dict[str, int]] = {}
        for state, channel, reason, n in rows.all():
            key = f"{state}:{channel}" if channel else state
            states[key] = states.get(key, 0) + n
            if reason and state in _WITH_REASONS:
                per = reasons.setdefault(_WITH_REASONS[state], {})
                per[reason] = per.get(reason, 0) + n
    return {
        "id": offer.id,
        "title": offer.title,
        "sku": offer.sku,
        "deliveries": states,
        "reasons": reasons,
    }
