"""What every action needs: sessions, the notifier and the limits, passed in, never global."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from prilavok.consult.kernel.addresses import ClientAddresses
from prilavok.consult.kernel.notifier import Notifier
from prilavok.consult.kernel.passwords import Passwords
from prilavok.consult.kernel.shop_feed import ShopFeed
from prilavok.consult.kernel.throttle import Throttle
from prilavok.storage.db import Transactions

T = TypeVar("T")

# Any fixed number works; it names the one PostgreSQL advisory lock routing takes.
ROUTING_LOCK_KEY = 7_170_717


@dataclass
class Limits:
    max_message_length: int = 4000
    default_capacity: int = 4
    visit_gap_seconds: int = 30 * 60
    presence_ttl_seconds: int = 60
    # Queue changes within this long of the first go to consoles and visitors as one push.
    queue_debounce_seconds: float = 0.2
    # An operator session with no request and no console open for this long has ended.
    session_idle_seconds: int = 12 * 3600


@dataclass
class Deps:
    sessions: async_sessionmaker[AsyncSession]
    notifier: Notifier
    limits: Limits = field(default_factory=Limits)
    node_id: str = "local"
    throttle: Throttle = field(default_factory=Throttle)
    addresses: ClientAddresses = field(default_factory=ClientAddresses)
    passwords: Passwords = field(default_factory=Passwords)
    # SQLite allows one writer, and a transaction that reads before it writes can fail at once
    # instead of waiting; writes therefore queue on this lock (SQLite runs in one process).
    # PostgreSQL needs no such lock for writes; routing there takes an advisory lock instead.
    _write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Routing decisions queue here, in the process, before they take a pooled connection: one
    # waiting on PostgreSQL's advisory lock would otherwise hold its connection, and a burst of
    # new chats could hold them all and starve every other query.
    _routing_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Per-process batching by name, like the lock above: group-commit queues (consult.chat.grouping)
    # and the coalesced queue pushes (consult.chat.queue_feed).
    groups: dict[str, Any] = field(default_factory=dict)
    # Where identified customers' carts and purchases go as shop events (the journeys).
    shop_feed: ShopFeed | None = None
    _transactions: Transactions | None = None

    def _serial(self) -> bool:
        return self.sessions.kw["bind"].dialect.name == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that may write; committed on exit."""
        if self._serial():
            async with self._write_lock, self.sessions.begin() as session:
                yield session
        else:
            async with self.sessions.begin() as session:
                yield session

    async def transaction(
        self, fn: Callable[[Connection], T], written: Callable[[], None] | None = None
    ) -> T:
        """`fn(connection)` in one write transaction, committed; queued like `write()`. Cheaper
        than a session for hot paths: see storage.db.Transactions. `written()` is called when
        only the commit is left (on SQLite, after it: writes there are one at a time anyway)."""
        if self._transactions is None:
            self._transactions = Transactions(self.sessions.kw["bind"])
        if self._serial():
            async with self._write_lock:
                return await self._transactions.run(fn, written)
        return await self._transactions.run(fn, written)

    def close(self) -> None:
        # Pending batched pushes die with the process (clients resync on reconnect).
        for helper in self.groups.values():
            stop = getattr(helper, "close", None)
            if stop is not None:
                stop()
        self.passwords.close()
        if self._transactions is not None:
            self._transactions.close()
            self._transactions = None

    @asynccontextmanager
    async def routing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction in which queue and assignment decisions are made one at a time,
        across every process."""
        async with self._routing_lock, self.write() as session:
            if not self._serial():
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROUTING_LOCK_KEY}
                )
            yield session
