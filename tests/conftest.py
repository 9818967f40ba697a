"""Fixtures: real SQLite and PostgreSQL databases, a real server on a free port, real clients.

PostgreSQL and Redis are required: a missing one fails the tests that need it, loudly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from devkit.ports import free_port
from prilavok.app import DEPS, create_app
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.consult.team import operators
from prilavok.settings import Settings
from prilavok.storage.db import create_engine, migrate, sessionmaker

PG_ADMIN = os.environ.get("PRILAVOK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# One database per test process (named for the pytest-xdist worker, "main" without xdist, and
# the pid): two runs on one machine, or two workers of one run, never drop each other's tables.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
PG_DB = f"prilavok_test_{WORKER}_{os.getpid()}"
PG_TPL = f"{PG_DB}_template"
REDIS_URL = os.environ.get("PRILAVOK_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=("all", "parallel", "serial"),
        default="all",
        help="only the tests fit to run beside others (pytest-xdist), or only those marked "
        "`serial`; scripts/test.sh runs the first with -n, then the second alone",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    part = config.getoption("--part")
    if part == "all":
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        serial = item.get_closest_marker("serial") is not None
        (keep if serial == (part == "serial") else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pg_url(database: str = PG_DB, driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{database}"


def _admin(*statements: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN, timeout=10)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    # Called from inside running loops, so it runs its own loop in a thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run; fails when PostgreSQL is not there."""
    _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)', f'CREATE DATABASE "{PG_DB}"')
    yield pg_url()
    _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)', f'DROP DATABASE IF EXISTS "{PG_TPL}"')


async def reset_pg() -> None:
    conn = await asyncpg.connect(pg_url(driver="postgresql"), timeout=10)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def _migrate_once(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        await migrate(engine)
        if engine.dialect.name == "sqlite":
            async with engine.connect() as conn:  # the whole schema in the main file, no WAL
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


# Migrations cost about 0.35 s a test: each backend is migrated once per run into a template,
# and every test gets a copy (a file copy; CREATE DATABASE … TEMPLATE).
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "prilavok.db"
    _migrate_once(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_database: str) -> str:
    _admin(f'DROP DATABASE IF EXISTS "{PG_TPL}" WITH (FORCE)', f'CREATE DATABASE "{PG_TPL}"')
    _migrate_once(pg_url(PG_TPL))
    return PG_TPL


def _copy_private(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        out.write(src.read())


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs on both backends, each time on a freshly migrated copy."""
    if request.param == "sqlite":
        target = tmp_path / "prilavok.db"
        _copy_private(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    template = request.getfixturevalue("pg_template")
    _admin(
        f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{PG_DB}" TEMPLATE "{template}"',
    )
    return pg_url()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends with nothing in them, for the tests of the migrations themselves."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'prilavok.db'}"
    url = request.getfixturevalue("pg_database")
    await reset_pg()
    return url


@pytest.fixture
async def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "prilavok.db"
    _copy_private(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def deps(db_url: str) -> AsyncIterator[Deps]:
    engine = create_engine(db_url)
    await migrate(engine)
    d = Deps(sessions=sessionmaker(engine), notifier=RecordingNotifier(), node_id="test-node")
    await operators.beat(d)
    yield d
    d.close()
    await engine.dispose()


class Server:
    """The real app on a real port, in the test's own event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = create_app(self.settings)
        self.runner = web.AppRunner(app, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.app = app

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def deps(self) -> Deps:
        return self.app[DEPS]


def test_settings(db_url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key="test-secret",
        port=free_port(),
        heartbeat_seconds=1.0,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def server(db_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(test_settings(db_url, tmp_path))
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def sqlite_server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(test_settings(sqlite_url, tmp_path))
    await srv.start()
    yield srv
    await srv.stop()
