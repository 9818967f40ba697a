"""Operators, their sessions and connected consoles, the processes, settings and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow


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


class ShopSetting(Base):
    """Small shop-wide settings edited in /admin (business hours)."""

    __tablename__ = "shop_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


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
