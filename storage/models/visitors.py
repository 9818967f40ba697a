"""Visitors, their visits and pages, purchases and the goods shown beside them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow


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
