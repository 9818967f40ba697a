"""The offer calendar: what customers bought, the admin's rules of what to offer when after
a purchase, and each offer (or gift call) the calendar planned."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow


class PurchaseLine(Base):
    """One item of one purchase (an event, or a row of an imported order history)."""

    __tablename__ = "purchase_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_ref: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
    bought_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bought as a present: the calendar's gift rule calls to check on the recipient.
    gift: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_purchase_lines_shop_customer", "shop_id", "customer_id"),)


class CalendarRule(Base):
    """After a purchase in `category` (priced within the band), `delay_days` later: an
    accessory from `offer_category`, the newer model (upgrade), or a call about a gift."""

    __tablename__ = "calendar_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # accessory | upgrade | gift
    category: Mapped[str] = mapped_column(String(100))
    price_min: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    price_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    offer_category: Mapped[str | None] = mapped_column(String(100))
    delay_days: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    holdout_percent: Mapped[int] = mapped_column(Integer, default=10)
    template: Mapped[str] = mapped_column(Text)
    sms_template: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarPlan(Base):
    """One planned offer (or gift call) of a rule for one purchase line: never twice."""

    __tablename__ = "calendar_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("calendar_rules.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int] = mapped_column(BigId)  # loose: the purchase that started it
    sku: Mapped[str | None] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(10))  # treated | control (the holdout)
    delivery_id: Mapped[int | None] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A purchase soon after planning: what the report counts as ordered, and its revenue.
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    __table_args__ = (UniqueConstraint("rule_id", "line_id"),)
