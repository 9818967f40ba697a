"""The servers a scenario runs against: Prilavok on SQLite, on PostgreSQL, as two processes
through Redis, and the two bare baselines. Each is started fresh and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench import seed, servers
from bench.servers import ServerProcess

PG_ADMIN = os.environ.get("PRILAVOK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "prilavok_bench"
REDIS_URL = os.environ.get("PRILAVOK_BENCH_REDIS", "redis://127.0.0.1:6379/0")

PRILAVOK = ("prilavok-sqlite", "prilavok-postgres")
TWO_PROCESSES = "prilavok-2proc"
BASELINES = ("bare-python", "bare-node")


@dataclass
class Running:
    name: str
    visitor_url: str
    operator_url: str
    cookies: list[str | None]
    servers: list[ServerProcess]

    def procs(self) -> list[psutil.Process]:
        return [p for s in self.servers for p in s.procs()]


def pg_url(driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{PG_DATABASE}"


@contextlib.asynccontextmanager
async def running(
    name: str, run_dir: Path, max_seconds: float, operators: int, capacity: int
) -> AsyncIterator[Running]:
    """Starts the named target with `operators` operators (each with `capacity` places)."""
    work = run_dir / name
    work.mkdir(parents=True, exist_ok=True)
    started: list[ServerProcess] = []
    try:
        if name in BASELINES:
            make = servers.bare_python if name == "bare-python" else servers.bare_node
            started.append(make(work / "server.log", max_seconds))
            await started[0].start()
            url = started[0].url
            yield Running(name, url, url, [None] * operators, started)
            return
        if name == "prilavok-sqlite":
            db_url = f"sqlite+aiosqlite:///{work / 'prilavok.db'}"
        else:
            await seed.fresh_postgres(PG_ADMIN, PG_DATABASE)
            db_url = pg_url()
        logins = await seed.prepare(db_url, operators, capacity)
        common = {"database_url": db_url, "data_dir": work}
        if name == TWO_PROCESSES:
            channel = f"bench-{uuid.uuid4().hex[:12]}"
            for side in ("a", "b"):
                started.append(
                    servers.prilavok(
                        f"{name}-{side}",
                        work / f"server-{side}.log",
                        max_seconds,
                        **common,
                        redis_url=REDIS_URL,
                        redis_channel=channel,
                    )
                )
        else:
            started.append(servers.prilavok(name, work / "server.log", max_seconds, **common))
        for s in started:
            await s.start()
        visitor_side, operator_side = started[0], started[-1]
        cookies = await seed.login_all(operator_side.url, logins)
        yield Running(name, visitor_side.url, operator_side.url, list(cookies), started)
    finally:
        for s in started:
            s.stop()
