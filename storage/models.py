"""The tables. Timestamps are stored and returned as UTC-aware datetimes on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite forgets time zones; normalise to aware UTC both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to UTCDateTime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=naming)


class Visitor(Base):
    __tablename__ = "visitors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    # The shop's own customer id (prilavok('identify')); verified when signed with its secret.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    current_url: Mapped[str | None] = mapped_column(Text)
    current_title: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    cart: Mapped[dict | None] = mapped_column(JSON)
    cart_total: Mapped[float] = mapped_column(Float, default=0.0)
    cart_count: Mapped[int] = mapped_column(Integer, default=0)
    # Whether the cart was ever non-empty in this visit: the base of abandoned-cart figures.
    had_cart: Mapped[bool] = mapped_column(Boolean, default=False)
    idle_seconds: Mapped[int | None] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    exit_intent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_visits_visitor_started", "visitor_id", "started_at"),
        Index("ix_visits_started", "started_at"),
    )


class PageView(Base):
    __tablename__ = "page_views"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="operator")
    capacity: Mapped[int] = mapped_column(Integer, default=4)
    status: Mapped[str] = mapped_column(String(20), default="online")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set: may not log in; the row stays so that past chats keep the operator's name.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OperatorSession(Base):
    """One log-in: the cookie holds a random token, the row its SHA-256 (a leaked table opens
    no console). Log-out deletes the row; so does a password change, for every session."""

    __tablename__ = "operator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved on by requests and by open consoles; a session idle too long has ended.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Node(Base):
    """One running server process; its heartbeat tells whether its sockets are still alive."""

    __tablename__ = "nodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OperatorPresence(Base):
    """One connected console socket; an operator with a live one is reachable."""

    __tablename__ = "operator_presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The log-in it came with (no foreign key: its end is noticed by the heartbeat, which
    # then closes the socket).
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL"), index=True
    )
    # queued -> active -> closed; a queued chat has no operator yet.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # visitor: they wrote first; invitation: they answered a proactive invitation.
    origin: Mapped[str] = mapped_column(String(20), default="visitor")
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    # Started while nobody could answer (availability "offline"): the console marks it.
    left_offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_conversations_visitor_status", "visitor_id", "status"),
        Index("ix_conversations_status_queued", "status", "queued_at"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(20))  # visitor | operator | system
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    # Who sent it ("v:12", "o:3"): with client_id, makes a resent message a no-op.
    sender_key: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("sender_key", "client_id"),
        Index("ix_messages_conversation_id", "conversation_id", "id"),
    )


class HotReply(Base):
    __tablename__ = "hot_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None: a global reply every operator sees.
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    shortcut: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProactiveRule(Base):
    """When the widget offers help, and how; edited by admins in /admin."""

    __tablename__ = "proactive_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # {"match": "all"|"any", "items": [{"type": ..., ...}]}: see consult/rules.py.
    conditions: Mapped[dict] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(20))  # invite | open | callback
    text: Mapped[str] = mapped_column(Text, default="")
    fallback_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    cap: Mapped[str] = mapped_column(String(10), default="visit")  # visit | day
    # Share of eligible visitors held back as a control group, to measure the rule's uplift.
    holdout_percent: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """One decision to help a visitor: shown (treated) or held back (control)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("proactive_rules.id", ondelete="SET NULL"), index=True
    )
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(10))  # treated | control
    action: Mapped[str] = mapped_column(String(20))  # invite | open | callback | none
    # shown -> accepted | dismissed; held_back for the control group.
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_invitations_visitor_rule", "visitor_id", "rule_id", "created_at"),
        Index("ix_invitations_created", "created_at"),
    )


class Purchase(Base):
    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(100))
    total: Mapped[float] = mapped_column(Float)
    items: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("visitor_id", "order_id"),
        Index("ix_purchases_created", "created_at"),
    )


class RelatedProduct(Base):
    """Goods the admin pairs with a bought category: a phone → a case, a screen protector."""

    __tablename__ = "related_products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Float)


class ShopSetting(Base):
    """Small shop-wide settings edited in /admin (business hours)."""

    __tablename__ = "shop_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


class Task(Base):
    """Something staff must do outside a chat: call a customer back, answer a left message."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # callback | message
    # Where it came from: widget, offer_page, telegram, viber.
    source: Mapped[str] = mapped_column(String(20))
    visitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("visitors.id", ondelete="SET NULL"), index=True
    )
    # A customer of the offers side (issue 4) by its own key, kept loose on purpose.
    customer_ref: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    preferred_time: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | taken | done
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_tasks_status_created", "status", "created_at"),)


# ---- Offers (issue 4) ----


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


class AuditEntry(Base):
    """Who changed what and when: rules, operators, keys, settings (admins and the CLI)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # An operator's login, or "cli" for the command line on the server.
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")


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


# ---- Journeys (issue 14) ----


class ShopEvent(Base):
    """Something the shop (or the widget, for an identified customer) says happened: an
    order, a status, a purchase, a cart, a view. Once per (shop, event id)."""

    __tablename__ = "shop_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    # None while the customer is not known to us (no phone, never identified).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    # The order, cart or product the event is about: what a journey is entered once per.
    subject: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20), default="api")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        Index("ix_shop_events_customer_type", "customer_id", "type", "at"),
    )


class Journey(Base):
    """A chain of messages started by an event: trigger, steps, exits, holdout (its
    definition, checked by bot/journey_defs.py, is the JSON the admin edits)."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    purpose: Mapped[str] = mapped_column(String(20), default="marketing")
    definition: Mapped[dict] = mapped_column(JSON)
    holdout_percent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "key"),)


class JourneyRun(Base):
    """One customer in one journey for one trigger key (a cart, an order): never twice."""

    __tablename__ = "journey_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    trigger_key: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(10))  # treated | control (the holdout)
    state: Mapped[str] = mapped_column(String(10), default="active")  # active | done | exited
    exit_reason: Mapped[str | None] = mapped_column(String(30))
    # The next step to take; the order's latest status for an order journey.
    step: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict] = mapped_column(JSON)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A purchase after entering: what the report counts as ordered, and its revenue.
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    __table_args__ = (
        UniqueConstraint("journey_id", "customer_id", "trigger_key"),
        Index("ix_journey_runs_journey_state", "journey_id", "state"),
    )


class JourneyTimer(Base):
    """When a run's next step is due. Found by the index on due_at, claimed with a lease:
    a crash loses no step and repeats at most the one in flight."""

    __tablename__ = "journey_timers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("journey_runs.id", ondelete="CASCADE"), unique=True
    )
    step: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
