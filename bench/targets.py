"""The servers a scenario runs against: Prilavok on SQLite, on PostgreSQL, as two or three
processes through Redis, and the two bare baselines. Each is started fresh and stopped
afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from bench import seed, servers
from bench.servers import MeasuredServer

PG_ADMIN = os.environ.get("PRILAVOK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Two runs on one machine must not drop each other's database: give each its own name.
PG_DATABASE = os.environ.get("PRILAVOK_BENCH_PG_DATABASE", "prilavok_bench")
REDIS_URL = os.environ.get("PRILAVOK_BENCH_REDIS", "redis://127.0.0.1:6379/0")

PRILAVOK = ("prilavok-sqlite", "prilavok-postgres")
TWO_PROCESSES = "prilavok-2proc"
THREE_PROCESSES = "prilavok-3proc"
# Processes on PostgreSQL sharing rooms through Redis: how many, how messages cross
# (`routed`: to the processes hosting the room; `broadcast`: python-socketio's stock manager),
# and where clients connect. `crossing`: visitors to every process but the last (one a load
# generator worker), operators to the last, so every relayed message crosses processes — what
# Redis costs a message. `balanced`: visitors and operators each spread over every process, as a
# load balancer places them — what the processes hold together (a message crosses when the
# visitor's process is not their operator's).
MULTI_PROCESS = {
    TWO_PROCESSES: (2, "routed", "crossing"),
    "prilavok-2proc-stock": (2, "broadcast", "crossing"),
    THREE_PROCESSES: (3, "routed", "crossing"),
    "prilavok-3proc-stock": (3, "broadcast", "crossing"),
    "prilavok-2proc-balanced": (2, "routed", "balanced"),
    "prilavok-3proc-balanced": (3, "routed", "balanced"),
}
METRICS_TOKEN = "bench-metrics"
BASELINES = ("bare-python", "bare-node")


@dataclass
class Running:
    name: str
    visitor_url: str
    operator_url: str
    cookies: list[str | None]
    servers: list[MeasuredServer]
    # Where each load generator worker's visitors connect (worker i: i modulo the list).
    visitor_urls: list[str] | None = None
    # Clients spread over every process, visitors and operators alike (a `balanced` layout).
    spread_over: list[str] | None = None

    def procs(self) -> list[psutil.Process]:
        return [p for s in self.servers for p in s.procs()]

    async def redis_received(self) -> float | None:
        """prilavok_redis_messages_received_total summed over the processes; None without Redis."""
        if self.name not in MULTI_PROCESS:
            return None
        total = 0.0
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        async with aiohttp.ClientSession() as http:
            for s in self.servers:
                async with http.get(f"{s.url}/metrics", headers=headers) as r:
                    for line in (await r.text()).splitlines():
                        if line.startswith("prilavok_redis_messages_received_total "):
                            total += float(line.split()[1])
        return total


def pg_url(driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{PG_DATABASE}"


async def fresh_database(backend: str, sqlite_path: Path) -> str:
    """A scenario's own database: a new SQLite file, or the bench's PostgreSQL database made
    afresh (whatever a run before left in it goes)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{sqlite_path}"
    await seed.fresh_postgres(PG_ADMIN, PG_DATABASE)
    return pg_url()


@contextlib.asynccontextmanager
async def running(
    name: str, run_dir: Path, max_seconds: float, operators: int, capacity: int
) -> AsyncIterator[Running]:
    """Starts the named target with `operators` operators (each with `capacity` places)."""
    work = run_dir / name
    work.mkdir(parents=True, exist_ok=True)
    started: list[MeasuredServer] = []
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
        if name in MULTI_PROCESS:
            count, routing, _ = MULTI_PROCESS[name]
            channel = f"bench-{uuid.uuid4().hex[:12]}"
            for side in "abc"[:count]:
                started.append(
                    servers.prilavok(
                        f"{name}-{side}",
                        work / f"server-{side}.log",
                        max_seconds,
                        **common,
                        redis_url=REDIS_URL,
                        redis_channel=channel,
                        redis_routing=routing,
                        metrics_token=METRICS_TOKEN,
                    )
                )
        else:
            started.append(servers.prilavok(name, work / "server.log", max_seconds, **common))
        for s in started:
            await s.start()
        visitor_side, operator_side = started[0], started[-1]
        cookies = await seed.login_all(operator_side.url, logins)
        visitor_urls = [s.url for s in started[:-1]] or [visitor_side.url]
        balanced = name in MULTI_PROCESS and MULTI_PROCESS[name][2] == "balanced"
        yield Running(
            name,
            visitor_side.url,
            operator_side.url,
            list(cookies),
            started,
            visitor_urls,
            [s.url for s in started] if balanced else None,
        )
    finally:
        for s in started:
            s.stop()
