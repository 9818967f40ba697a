"""The shop's events in: parsed whole, stored once per (shop, event id), tied to a customer.

Events come from the REST API (`POST /api/v1/events`, the shop's site or its 1C) and from the
widget for identified customers (prilavok/ wires consult's feed here). A repeated event id is
the same event: answered as a duplicate, changing nothing. Stored events are handed to the
listeners (the journey engine) in the same transaction, so an event is never half taken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import links
from prilavok.bot.context import Offers
from prilavok.consult import payloads
from prilavok.consult.errors import ConsultError
from prilavok.consult.phones import normalize
from prilavok.storage.models import Customer, ShopEvent

TYPES = (
    "order.created",
    "order.status_changed",
    "purchase",
    "cart.changed",
    "product.viewed",
    "customer.identified",
    # Licences and subscriptions with an end date (bot/renewals.py): one started or changed,
    # and one the customer renewed (with the order's total, and the new end).
    "licence.updated",
    "licence.renewed",
)
STATUSES = ("received", "not_reached", "confirmed", "out_for_delivery", "delivered", "cancelled")
MAX_BATCH = 1000
RACE_RETRIES = 3


class EventItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=300)
    price: float = Field(default=0, ge=0, le=1e9)
    quantity: int = Field(default=1, ge=1, le=10_000)
    category: str | None = Field(default=None, max_length=100)


class EventCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value


class EventOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=100)
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    total: float | None = Field(default=None, ge=0, le=1e10)
    items: list[EventItem] = Field(default_factory=list, max_length=200)
    delivery_time: str | None = Field(default=None, max_length=100)
    courier: str | None = Field(default=None, max_length=200)
    call_time: str | None = Field(default=None, max_length=100)
    offline: bool = False  # bought in a shop and reported by 1C
    # Bought as a present (the offer calendar calls to check on the recipient).
    gift: bool = False
    recipient: str | None = Field(default=None, max_length=200)


class EventCart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, min_length=1, max_length=100)
    items: list[EventItem] = Field(default_factory=list, max_length=200)
    total: float | None = Field(default=None, ge=0, le=1e10)


class EventProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=100)
    category: str | None = Field(default=None, max_length=100)


class EventLicence(BaseModel):
    """A licence or subscription the customer holds, as the shop (or 1C) knows it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=100)
    sku: str = Field(min_length=1, max_length=100)
    title: str = Field(default="", max_length=300)
    # What is renewed: "1 год", "12m", as the shop's checkout names it.
    term: str = Field(default="", max_length=50)
    # Bounded, so that reminders counted back from it never overflow a date.
    ends_on: date = Field(ge=date(2000, 1, 1), le=date(2200, 12, 31))
    quantity: int = Field(default=1, ge=1, le=100_000)


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, max_length=100)
    type: Literal[TYPES]  # type: ignore[valid-type]
    at: datetime | None = None
    customer: EventCustomer
    order: EventOrder | None = None
    cart: EventCart | None = None
    product: EventProduct | None = None
    licence: EventLicence | None = None

    @model_validator(mode="after")
    def _complete(self) -> EventIn:
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at needs a time zone")
        if self.customer.id is None and self.customer.phone is None:
            raise ValueError("customer: an id or a phone")
        needs = {
            "order.created": "order",
            "order.status_changed": "order",
            "purchase": "order",
            "cart.changed": "cart",
            "product.viewed": "product",
            "licence.updated": "licence",
            "licence.renewed": "licence",
        }.get(self.type)
        if needs and getattr(self, needs) is None:
            raise ValueError(f"{self.type} needs {needs}")
        if self.type == "order.status_changed" and self.order and self.order.status is None:
            raise ValueError("order.status_changed needs order.status")
        if self.type == "purchase" and self.order and self.order.total is None:
            raise ValueError("purchase needs order.total")
        if self.type == "licence.renewed" and (self.order is None or self.order.total is None):
            raise ValueError("licence.renewed needs order.total")
        if self.type == "customer.identified" and self.customer.id is None:
            raise ValueError("customer.identified needs customer.id")
        return self

    def subject(self) -> str | None:
        """What a journey enters once per: the order, the cart, the product, a licence's term."""
        if self.licence is not None:
            return f"licence:{self.licence.id}:{self.licence.ends_on.isoformat()}"
        if self.order is not None:
            return f"order:{self.order.id}"
        if self.cart is not None:
            return f"cart:{self.cart.id}" if self.cart.id else None
        if self.product is not None:
            return f"product:{self.product.sku}"
        return None


class EventsIn(BaseModel):
    """The request body (for the OpenAPI description; parse_batch checks it item by item)."""

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


def parse_batch(data: Any) -> list[EventIn]:
    """Every event checked first: one bad event refuses the batch and changes nothing."""
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConsultError("invalid_payload", "events: a non-empty list")
    if len(items) > MAX_BATCH:
        raise ConsultError("too_many", f"at most {MAX_BATCH} events a request")
    parsed = []
    for i, item in enumerate(items):
        event = payloads.parse(EventIn, item, f"events[{i}]")
        if event.customer.phone is not None:
            try:
                phone = normalize(event.customer.phone)
            except ConsultError as exc:
                raise ConsultError(exc.code, f"events[{i}].customer.phone: {exc.message}") from None
            event.customer.phone = phone
        parsed.append(event)
    return parsed


@dataclass
class Stored:
    """One stored event as the listeners see it."""

    row_id: int
    shop_id: str
    event: EventIn
    customer_id: int | None
    at: datetime


Listener = Callable[[AsyncSession, Sequence[Stored], datetime], Awaitable[None]]


async def record(
    ctx: Offers,
    shop_id: str,
    batch: list[EventIn],
    *,
    source: str = "api",
    listeners: Sequence[Listener] = (),
) -> list[dict[str, Any]]:
    """Stores the new events of the batch; answers each id with "new" or "duplicate"."""
    for _ in range(RACE_RETRIES):
        try:
            return await _record(ctx, shop_id, batch, source, listeners)
        except IntegrityError:
            # Another process stored one of these events, or entered one of these runs, at
            # the same moment (PostgreSQL): again, and its rows now count as known.
            continue
    return await _record(ctx, shop_id, batch, source, listeners)


async def _record(
    ctx: Offers,
    shop_id: str,
    batch: list[EventIn],
    source: str,
    listeners: Sequence[Listener],
) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    answer: list[dict[str, Any]] = []
    async with ctx.deps.write() as session:
        ids = [e.id for e in batch]
        known = set(
            await session.scalars(
                select(ShopEvent.event_id).where(
                    ShopEvent.shop_id == shop_id, ShopEvent.event_id.in_(ids)
                )
            )
        )
        fresh: list[EventIn] = []
        for event in batch:
            if event.id in known:
                answer.append({"id": event.id, "status": "duplicate"})
                continue
            known.add(event.id)  # the same id twice in one batch: the first one counts
            fresh.append(event)
            answer.append({"id": event.id, "status": "new"})
        if not fresh:
            return answer
        customers = await _customers(session, shop_id, fresh, now)
        rows = []
        for event, customer in zip(fresh, customers, strict=True):
            rows.append(
                {
                    "shop_id": shop_id,
                    "event_id": event.id,
                    "type": event.type,
                    "customer_id": customer,
                    "customer_ref": event.customer.id or event.customer.phone,
                    "subject": event.subject(),
                    "data": event.model_dump(mode="json", exclude_none=True),
                    "source": source,
                    "at": event.at or now,
                    "received_at": now,
                }
            )
        # Ids in the order of the rows given, whatever the driver's batching.
        returning = insert(ShopEvent.__table__).returning(
            ShopEvent.id, sort_by_parameter_order=True
        )
        result = await session.execute(returning, rows)
        row_ids = list(result.scalars())
        stored = [
            Stored(i, shop_id, e, r["customer_id"], r["at"])
            for i, e, r in zip(row_ids, fresh, rows, strict=True)
        ]
        for listener in listeners:
            await listener(session, stored, now)
    return answer


@dataclass
class Intake:
    """Events in, from any source, to the same store and the same listeners."""

    ctx: Offers
    listeners: list[Listener]

    async def take(self, shop_id: str, data: Any, source: str = "api") -> list[dict[str, Any]]:
        batch = parse_batch(data)
        return await record(self.ctx, shop_id, batch, source=source, listeners=self.listeners)


@dataclass
class _Known:
    """A customer as events need them: no ORM object per row (a batch reads a thousand)."""

    id: int
    external_id: str | None
    timezone: str


async def _customers(
    session: AsyncSession, shop_id: str, events: list[EventIn], now: datetime
) -> list[int | None]:
    """Each event's customer id, in order: found by the shop's id, else by the phone; an
    event naming both links them; one with a phone and a name and nobody found adds the
    customer (with no marketing consent: the shop records that through /customers)."""
    ext_list = sorted({e.customer.id for e in events if e.customer.id})
    phone_list = sorted({e.customer.phone for e in events if e.customer.phone})
    by_ext: dict[str, _Known] = {}
    by_phone: dict[str, _Known] = {}
    columns = (Customer.id, Customer.external_id, Customer.timezone, Customer.phone)
    for start in range(0, max(len(ext_list), len(phone_list)), 500):
        part_ext, part_phone = ext_list[start : start + 500], phone_list[start : start + 500]
        if part_ext:
            rows = await session.execute(
                select(*columns).where(
                    Customer.shop_id == shop_id, Customer.external_id.in_(part_ext)
                )
            )
            for cid, ext, tz, _ in rows.all():
                by_ext[ext] = _Known(cid, ext, tz)
        if part_phone:
            rows = await session.execute(
                select(*columns).where(Customer.shop_id == shop_id, Customer.phone.in_(part_phone))
            )
            for cid, ext, tz, phone in rows.all():
                by_phone[phone] = by_ext.get(ext or "") or _Known(cid, ext, tz)
    out: list[int | None] = []
    for event in events:
        ref = event.customer
        known = by_ext.get(ref.id or "") or by_phone.get(ref.phone or "")
        if known is None and ref.phone and ref.name:
            customer = Customer(
                shop_id=shop_id,
                phone=ref.phone,
                name=ref.name,
                timezone=ref.timezone or "Europe/Moscow",
                link_token=links.new_link_token(),
                consent_telegram=False,
                consent_viber=False,
                consent_sms=False,
                unread_streak=0,
                exhausted="",
                telegram_blocked=False,
                created_at=now,
                updated_at=now,
            )
            session.add(customer)
            await session.flush()
            known = by_phone[ref.phone] = _Known(customer.id, None, customer.timezone)
        if known is not None:
            change: dict[str, Any] = {}
            if ref.id and known.external_id is None and ref.id not in by_ext:
                known.external_id = change["external_id"] = ref.id
                by_ext[ref.id] = known
            if ref.timezone and ref.timezone != known.timezone:
                known.timezone = change["timezone"] = ref.timezone
            if change:
                await session.execute(
                    update(Customer).where(Customer.id == known.id).values(**change)
                )
        out.append(known.id if known is not None else None)
    return out
