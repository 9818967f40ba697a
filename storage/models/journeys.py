"""Journeys: the shop's events, journey definitions, runs and their timers, the catalog feed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow


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
