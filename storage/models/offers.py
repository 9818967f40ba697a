"""Offers: API keys, customers, products, offers, deliveries and what customers did, orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow


class ApiKey(Base):
    """A shop's key for the offers REST API; only its SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the key is for ("1C exchange"), and its first characters, to tell keys apart.
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    prefix: Mapped[str] = mapped_column(String(12), default="", server_default="")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Customer(Base):
    """A shop's buyer who may get offers; one per (shop, phone)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    consent_telegram: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_viber: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # Secret in the personal deep links (t.me/<bot>?start=…, Viber's context).
    link_token: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    telegram_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    viber_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Viber allows 100 messages an hour to a user who has not replied; a reply resets it.
    viber_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Viber delivers only to subscribers: False after "not subscribed", None when unknown.
    viber_subscribed: Mapped[bool | None] = mapped_column(Boolean)
    # A stop in any channel: no marketing anywhere until the shop records consent again.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fallback state: the channel offers go to now, unread ones in a row there, and the
    # channels given up on (comma-separated) since the last read.
    channel: Mapped[str | None] = mapped_column(String(20))
    unread_streak: Mapped[int] = mapped_column(Integer, default=0)
    exhausted: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The shop's own id of this buyer (its events and the widget's identify name them by it).
    external_id: Mapped[str | None] = mapped_column(String(200))
    # Consent by purpose: the consent_* columns and opted_out_at are about marketing; service
    # messages (order status) need none, but a customer may refuse them too, separately.
    service_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A unique index, not a constraint: SQLite adds it without copying the table.
    __table_args__ = (
        UniqueConstraint("shop_id", "phone"),
        Index("ix_customers_shop_external", "shop_id", "external_id", unique=True),
    )


class Product(Base):
    """The shop's catalog as it last sent it."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    photo_url: Mapped[str | None] = mapped_column(Text)
    product_url: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The price before a discount (a YML feed's <oldprice>).
    old_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # Offered instead while this one is out of stock.
    analogue_sku: Mapped[str | None] = mapped_column(String(100))
    # Similar goods for journeys come from the same category.
    category: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "sku"),)


class Offer(Base):
    """A campaign: one product, message templates, an audience planned into deliveries."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(Text)
    sms_template: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # marketing | service (bot/purposes.py); a journey's step is an offer of its own.
    purpose: Mapped[str] = mapped_column(
        String(20), default="marketing", server_default="marketing"
    )
    # Loose references (no foreign key): SQLite adds a plain column in place, while a
    # constrained one would mean copying the table. Journeys are edited, never deleted.
    journey_id: Mapped[int | None] = mapped_column(BigId, index=True)
    step: Mapped[int | None] = mapped_column(Integer)


class Delivery(Base):
    """One offer to one customer through one channel; the worker moves it through its states:
    scheduled → sending → sent → delivered → read, or unread / failed / switched."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # 1 for the planned send; a switch or a "remind me later" adds the next one.
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    slug: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    channel: Mapped[str | None] = mapped_column(String(20))
    sku: Mapped[str | None] = mapped_column(String(100))  # what was offered (maybe the analogue)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    # Why it waits or failed: a bot.delivery_states.Reason value; `note` is free-text detail.
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A journey's message: the run whose order or cart fills the template.
    # Loose, like Offer.journey_id; a run goes only with its customer, who takes these along.
    run_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # A switch or a reminder continues a delivery: the chain's first delivery, so what is
    # counted per planned message (the calendar's reports) counts every attempt. None on a first.
    first_id: Mapped[int | None] = mapped_column(BigId, index=True)

    __table_args__ = (
        UniqueConstraint("offer_id", "customer_id", "attempt"),
        Index("ix_deliveries_state_not_before", "state", "not_before"),
        Index("ix_deliveries_channel_provider", "channel", "provider_id"),
    )


class OfferEvent(Base):
    """Something a customer did or that happened to them: open, click, callback, opt_out,
    switch, link… Reports count these."""

    __tablename__ = "offer_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_offer_events_kind_at", "kind", "at"),)


class ShopOrder(Base):
    """An order the shop reports back with the offer's code."""

    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    order_ref: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(16), index=True)
    revenue: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "order_ref"),)


# ---- Journeys ----
