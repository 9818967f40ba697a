"""The shop's events in: parsed whole, stored once per (shop, event id), tied to a customer.

Events come from the REST API (`POST /api/v1/events`, the shop's site or its 1C) and from the
widget for identified customers (prilavok/ wires consult's feed here). A repeated event id is
the same event: answered as a duplicate, changing nothing. Stored events are handed to the
listeners (the journey engine) in the same transaction, so an event is never half taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prilavok.bot import links
from prilavok.bot.context import Offers
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.phones import normalize
from prilavok.storage.bulk import insert_rows, one_of
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


# The batch checked in one call: pydantic walks the list in its core, several times faster
# than a call per event (and dumps it back the same way, for storing).
_BATCH = TypeAdapter(list[EventIn])


def parse_batch(data: Any) -> list[EventIn]:
    """Every event checked first: one bad event refuses the batch and changes nothing."""
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConsultError("invalid_payload", "events: a non-empty list")
    if len(items) > MAX_BATCH:
        raise ConsultError("too_many", f"at most {MAX_BATCH} events a request")
    try:
        parsed = _BATCH.validate_python(items)
    except ValidationError as exc:
        first = exc.errors()[0]
        index, *where = first["loc"]
        said = "expected an object" if first["type"] == "model_type" else first["msg"]
        field = "".join(f".{p}" for p in where)
        raise ConsultError("invalid_payload", f"events[{index}]{field}: {said}") from None
    for i, event in enumerate(parsed):
        if event.customer.phone is not None:
            try:
                phone = normalize(event.customer.phone)
            except ConsultError as exc:
                raise ConsultError(exc.code, f"events[{i}].customer.phone: {exc.message}") from None
            event.customer.phone = phone
    return parsed


def dump(batch: list[EventIn]) -> list[dict[str, Any]]:
    """The events as stored (JSON types, no empty fields)."""
    return list(_BATCH.dump_python(batch, mode="json", exclude_none=True))


@dataclass
class Stored:
    """One stored event as the listeners see it (`data`: the event as stored, dumped once)."""

    row_id: int
    shop_id: str
    event: EventIn
    customer_id: int | None
    at: datetime
    data: dict[str, Any]


# Listeners run in the transaction that stores the events, on its connection (Core, no ORM):
# a batch of a thousand events is a handful of statements, not thousands of objects.
Listener = Callable[[Connection, Sequence[Stored], datetime], None]


def orm_listener(fn: Callable[[Session, Sequence[Stored], datetime], None]) -> Listener:
    """A listener written with the ORM: a session on the batch's own connection and
    transaction (it flushes; committing stays with the batch)."""

    def listener(conn: Connection, batch: Sequence[Stored], now: datetime) -> None:
        with Session(bind=conn) as session:
            fn(session, batch, now)
            session.flush()

    listener.__name__ = listener.__qualname__ = fn.__name__
    return listener


EVENTS = ShopEvent.__table__
CUSTOMERS = Customer.__table__


# An event whose customer an earlier event of its batch linked or added.
_SET_CUSTOMER = (
    update(EVENTS).where(EVENTS.c.id == bindparam("row_id")).values(customer_id=bindparam("cid"))
)


async def record(
    ctx: Offers,
    shop_id: str,
    batch: list[EventIn],
    *,
    source: str = "api",
    listeners: Sequence[Listener] = (),
) -> list[dict[str, Any]]:
    """Stores the new events of the batch; answers each id with "new" or "duplicate"."""
    store = partial(_store, shop_id, batch, source, listeners, ctx.clock.now())
    for _ in range(RACE_RETRIES):
        try:
            return await ctx.deps.transaction(store)
        except IntegrityError:
            # Another process added one of these customers, or entered one of these runs, at
            # the same moment (PostgreSQL): again, and its rows now count as known.
            continue
    return await ctx.deps.transaction(store)


def _store(
    shop_id: str,
    batch: list[EventIn],
    source: str,
    listeners: Sequence[Listener],
    now: datetime,
    conn: Connection,
) -> list[dict[str, Any]]:
    # The insert itself tells new events from repeats, by the unique (shop, event id) index: a
    # probe per row that no planner estimate can turn into a scan, while the table grows.
    firsts = list({e.id: e for e in reversed(batch)}.values())[::-1]
    found = _lookup(conn, shop_id, firsts)
    guessed = [_guess(found, e) for e in firsts]
    rows = []
    for event, customer, data in zip(firsts, guessed, dump(firsts), strict=True):
        rows.append(
            {
                "shop_id": shop_id,
                "event_id": event.id,
                "type": event.type,
                "customer_id": customer,
                "customer_ref": event.customer.id or event.customer.phone,
                "subject": event.subject(),
                "data": data,
                "source": source,
                "at": event.at or now,
                "received_at": now,
            }
        )
    # A repeat of an event another request stores at the same moment inserts nothing (and is
    # answered as a duplicate) instead of failing the whole batch.
    added = insert_rows(
        conn,
        EVENTS,
        rows,
        on_conflict_nothing=("shop_id", "event_id"),
        returning=("id", "event_id"),
    )
    inserted = {event_id: row_id for row_id, event_id in added}
    stored = [
        Stored(inserted[e.id], shop_id, e, guess, row["at"], row["data"])
        for e, guess, row in zip(firsts, guessed, rows, strict=True)
        if e.id in inserted
    ]
    if stored:
        # Only new events link, add or update customers: a repeat changes nothing. Read in
        # order, an event can name a customer an earlier one in the batch linked or added.
        customers = _customers(conn, shop_id, [s.event for s in stored], found, now)
        moved = []
        for one, customer in zip(stored, customers, strict=True):
            if customer != one.customer_id:
                one.customer_id = customer
                moved.append({"row_id": one.row_id, "cid": customer})
        if moved:
            conn.execute(_SET_CUSTOMER, moved)
        for listener in listeners:
            listener(conn, stored, now)
    new = {s.event.id for s in stored}
    answer: list[dict[str, Any]] = []
    for event in batch:
        # An id repeated within the batch is new once, at its first place.
        answer.append({"id": event.id, "status": "new" if event.id in new else "duplicate"})
        new.discard(event.id)
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


_COLUMNS = (CUSTOMERS.c.id, CUSTOMERS.c.external_id, CUSTOMERS.c.timezone, CUSTOMERS.c.phone)


@dataclass
class _Found:
    by_ext: dict[str, _Known]
    by_phone: dict[str, _Known]


def _lookup(conn: Connection, shop_id: str, events: list[EventIn]) -> _Found:
    """The batch's customers that exist, by the shop's id and by phone: one query each."""
    ext_list = sorted({e.customer.id for e in events if e.customer.id})
    phone_list = sorted({e.customer.phone for e in events if e.customer.phone})
    found = _Found({}, {})
    if ext_list:
        query = select(*_COLUMNS).where(
            CUSTOMERS.c.shop_id == shop_id, one_of(conn, CUSTOMERS.c.external_id, ext_list)
        )
        for cid, ext, tz, _ in conn.execute(query).all():
            found.by_ext[ext] = _Known(cid, ext, tz)
    if phone_list:
        query = select(*_COLUMNS).where(
            CUSTOMERS.c.shop_id == shop_id, one_of(conn, CUSTOMERS.c.phone, phone_list)
        )
        for cid, ext, tz, phone in conn.execute(query).all():
            found.by_phone[phone] = found.by_ext.get(ext or "") or _Known(cid, ext, tz)
    return found


def _guess(found: _Found, event: EventIn) -> int | None:
    known = found.by_ext.get(event.customer.id or "") or found.by_phone.get(
        event.customer.phone or ""
    )
    return known.id if known is not None else None


def _customers(
    conn: Connection, shop_id: str, events: list[EventIn], found: _Found, now: datetime
) -> list[int | None]:
    """Each event's customer id, in order: found by the shop's id, else by the phone; an
    event naming both links them; one with a phone and a name and nobody found adds the
    customer (with no marketing consent: the shop records that through /customers)."""
    by_ext, by_phone = found.by_ext, found.by_phone
    out: list[int | None] = []
    for event in events:
        ref = event.customer
        known = by_ext.get(ref.id or "") or by_phone.get(ref.phone or "")
        if known is None and ref.phone and ref.name:
            timezone = ref.timezone or "Europe/Moscow"
            added = conn.execute(
                insert(CUSTOMERS)
                .values(
                    shop_id=shop_id,
                    phone=ref.phone,
                    name=ref.name,
                    timezone=timezone,
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
                .returning(CUSTOMERS.c.id)
            ).scalar_one()
            known = by_phone[ref.phone] = _Known(added, None, timezone)
        if known is not None:
            change: dict[str, Any] = {}
            if ref.id and known.external_id is None and ref.id not in by_ext:
                known.external_id = change["external_id"] = ref.id
                by_ext[ref.id] = known
            if ref.timezone and ref.timezone != known.timezone:
                known.timezone = change["timezone"] = ref.timezone
            if change:
                conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == known.id).values(**change))
        out.append(known.id if known is not None else None)
    return out
