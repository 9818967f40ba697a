"""What every action needs: sessions, the notifier and the limits, passed in, never global."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from consult.notifier import Notifier

# Any fixed number works; it names the one PostgreSQL advisory lock routing takes.
ROUTING_LOCK_KEY = 7_170_717


@dataclass
class Limits:
    max_message_length: int = 4000
    default_capacity: int = 4
    visit_gap_seconds: int = 30 * 60
    presence_ttl_seconds: int = 60


@dataclass
class Deps:
    sessions: async_sessionmaker[AsyncSession]
    notifier: Notifier
    limits: Limits = field(default_factory=Limits)
    node_id: str = "local"
    # SQLite is one process: a local lock serialises routing there; PostgreSQL uses an
    # advisory lock so that several processes agree.
    _local_routing_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def routing(self) -> AsyncIterator[AsyncSession]:
        """A transaction in which queue and assignment decisions are made one at a time."""
        async with self._local_routing_lock, self.sessions.begin() as session:
            if session.bind.dialect.name == "postgresql":
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROUTING_LOCK_KEY}
                )
            yield session
