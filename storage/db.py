"""Engine and session factory for SQLite (WAL) or PostgreSQL (asyncpg), and migrations."""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, exc, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry, Pool

T = TypeVar("T")
# A pooled PostgreSQL connection idle longer than this is pinged before use (_ping_when_idle).
PING_IDLE_SECONDS = 1.0
_USED = "prilavok_last_used"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# FULL syncs the WAL at every commit, so an acknowledged message survives a power loss; NORMAL
# syncs only at checkpoints: it survives a crash of the process, not of the machine.
Synchronous = Literal["FULL", "NORMAL"]
# The pragma callback of each SQLite engine, for the writer thread's twin engine (Transactions).
_PRAGMAS: weakref.WeakKeyDictionary[Engine, Callable[[Any, Any], None]] = (
    weakref.WeakKeyDictionary()
)


def json_text(value: Any) -> str:
    """JSON columns written by orjson: the same values read back as with the standard library
    (keys made strings; non-ASCII kept as UTF-8, not escaped) in a thirtieth of the time, which
    counts for bulk inserts such as a batch of shop events and their journey runs."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, sqlite_synchronous: Synchronous = "FULL") -> AsyncEngine:
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous is FULL or NORMAL, not {sqlite_synchronous!r}")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private(Path(parsed.database))
        engine = create_async_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)
        pragmas = partial(_sqlite_pragmas, sqlite_synchronous)
        _PRAGMAS[engine.sync_engine] = pragmas
        event.listen(engine.sync_engine, "connect", pragmas)
        return engine
    # Connections beyond `pool_size` are closed as soon as they come back, and a new one costs
    # asyncpg's type introspection on the server: a burst (a crowd of new chats) that kept more
    # than ten busy opened and closed connections all the time. Thirty at most, as before.
    engine = create_async_engine(url, pool_size=20, max_overflow=10, json_serializer=json_text)
    _ping_when_idle(engine.sync_engine.pool)
    return engine


def _ping_when_idle(pool: Pool) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that sat idle a while.

    The stock pre-ping costs three round trips on asyncpg (BEGIN, a ping, ROLLBACK) at every
    checkout, nearly as many as a hot transaction's own; under load it was a third of them. A
    connection back in the pool within the last `PING_IDLE_SECONDS` was working then; one that a
    server restart closed meanwhile is seen closed by asyncpg without a round trip. Either way a
    dead connection is replaced before use (DisconnectionError: the pool connects anew).
    """

    def connected(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info[_USED] = time.monotonic()

    def checked_in(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        if record.dbapi_connection is not None:
            record.info[_USED] = time.monotonic()

    def checkout(dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is None or driver.is_closed():
            raise exc.DisconnectionError("the connection was closed")
        if time.monotonic() - record.info.get(_USED, 0.0) <= PING_IDLE_SECONDS:
            return
        try:
            dbapi.ping()
        except Exception as error:
            raise exc.DisconnectionError(f"the connection failed a ping: {error}") from error

    event.listen(pool, "connect", connected)
    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checkout)


def create_private(path: Path) -> None:
    """The database file, made readable by its owner only before SQLite opens it: SQLite gives
    the -wal and -shm files the database file's permissions. An existing file is left as is."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)  # an empty file is an empty SQLite database


def _sqlite_pragmas(
    synchronous: Synchronous, dbapi_conn: Any, _record: Any
) -> None:  # pragma: no cover - driver callback
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={synchronous}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Transactions:
    """Runs a function `fn(connection)` in one write transaction and commits.

    With aiosqlite every statement costs several hops between the event loop and the driver's
    thread (cursor, execute, fetch, close), and each hop waits for a turn of a busy loop. On
    SQLite this runs the whole function on one thread of its own, with a synchronous twin of the
    engine on the same file: one hop per transaction. On PostgreSQL asyncpg needs no thread, and
    the function runs through `AsyncConnection.run_sync`. Callers serialise SQLite writes
    themselves (consult.kernel.deps), as for every other write.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._twin: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._twin = sa_create_engine(
                url.set(drivername="sqlite"),
                connect_args={"timeout": 30, "check_same_thread": False},
                json_serializer=json_text,
            )
            pragmas = _PRAGMAS.get(engine.sync_engine, partial(_sqlite_pragmas, "FULL"))
            event.listen(self._twin, "connect", pragmas)
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")

    async def run(
        self, fn: Callable[[Connection], T], written: Callable[[], None] | None = None
    ) -> T:
        """`written()`, if given, is called when `fn` is done: before the commit on PostgreSQL,
        after it on SQLite (its writer thread commits with `fn`)."""
        if self._twin is None or self._thread is None:
            async with self._engine.begin() as conn:
                result = await conn.run_sync(fn)
                if written is not None:
                    written()
                return result
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._thread, self._run_here, fn)
        if written is not None:
            written()
        return result

    def _run_here(self, fn: Callable[[Connection], T]) -> T:
        assert self._twin is not None
        with self._twin.begin() as conn:
            return fn(conn)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._twin is not None:
            self._twin.dispose()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Brings the schema to `revision`; the same migrations serve SQLite and PostgreSQL."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting together must not both create the tables.
            await conn.execute(text("SELECT pg_advisory_xact_lock(7170718)"))
        await conn.run_sync(_upgrade, revision)
