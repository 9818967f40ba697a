"""Journeys at scale, measured in a process of its own so that its peak RSS is its own.

python -m bench.journeys enter DATABASE_URL N   # N customers' carts enter the journey
python -m bench.journeys steps DATABASE_URL M   # then M of their first steps fall due at once

`enter` migrates the (empty) database and seeds N customers (bulk, not measured), then times
the intake of N `cart.changed` events in batches of 1,000 — the call `POST /api/v1/events`
makes for each request: parsing, storing, tying to customers, and every listener the server
wires (entering the abandoned-cart journey, writing runs and timers; renewals; the calendar).
Like `prilavok serve`, it runs on the server's event loop with its collector settings, settled
once start-up (here: migrating and seeding) is done. `steps` makes M timers due now and times
the journey pass of the delivery worker (claim by the due index, one transaction per step, a
delivery row each).
Each prints one JSON object: seconds, per second, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import func, insert, select, text, update

from prilavok.app import settle_heap_now
from prilavok.bot import links, shop_events
from prilavok.bot.context import Offers, OffersConfig
from prilavok.bot.journey_steps import JourneySteps
from prilavok.bot.web import LISTENERS
from prilavok.cli import event_loop
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import Customer, Delivery, Journey, JourneyRun, JourneyTimer

SHOP = "bench-shop"
BATCH = 1_000
# Requests in flight at once, as a shop's site and its 1C post at the same time: while one
# batch is written (SQLite's writer thread, PostgreSQL's server), the next is parsed.
INFLIGHT = 2


class StillClock:
    """Time stands where the bench puts it, so that waits do not pass by themselves."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _server_cpu(ctx: Offers) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend serving this database (the server runs
    on this machine); None on SQLite, which runs in this process."""
    engine = ctx.deps.sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as conn:
        pids = await conn.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        out = {}
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(pid).cpu_times()
                out[pid] = times.user + times.system
        return out


def _ctx(url: str, clock: StillClock) -> Offers:
    engine = create_engine(url)
    return Offers(Deps(sessionmaker(engine), RecordingNotifier()), OffersConfig(), clock)


def _event(i: int) -> dict[str, Any]:
    return {
        "id": f"cart-{i}",
        "type": "cart.changed",
        "customer": {"id": f"k{i}"},
        "cart": {"id": f"c{i}", "items": [{"sku": "a", "price": 990, "category": "cases"}]},
    }


async def enter(url: str, n: int, inflight: int = INFLIGHT) -> dict[str, Any]:
    clock = StillClock()
    ctx = _ctx(url, clock)
    await migrate(ctx.deps.sessions.kw["bind"])
    async with ctx.deps.write() as session:
        for start in range(0, n, 10_000):
            await session.execute(
                insert(Customer),
                [{"shop_id": SHOP, "name": f"Покупатель {i}", "phone": f"+7900{i:07d}",
                  "external_id": f"k{i}", "timezone": "Europe/Moscow", "consent_sms": True,
                  "consent_telegram": False, "consent_viber": False, "telegram_blocked": False,
                  "link_token": links.new_link_token(), "unread_streak": 0, "exhausted": ""}
                 for i in range(start, min(n, start + 10_000))],
            )  # fmt: skip
    async with ctx.deps.sessions.kw["bind"].connect() as conn:
        # The seeded customers stand for a shop's existing ones, which a live database has
        # statistics for (PostgreSQL's autovacuum analyzes a table grown by a tenth).
        await conn.execute(text("ANALYZE customers"))
        await conn.commit()
    starts = iter(range(0, n, BATCH))
    settle_heap_now()

    async def client() -> None:
        for start in starts:  # shared: each batch is taken by one client
            batch = shop_events.parse_batch(
                {"events": [_event(i) for i in range(start, min(n, start + BATCH))]}
            )
            await shop_events.record(ctx, SHOP, batch, listeners=LISTENERS)

    server_before = await _server_cpu(ctx)
    began = time.perf_counter()
    cpu = time.process_time()
    await asyncio.gather(*(client() for _ in range(inflight)))
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    server_after = await _server_cpu(ctx)
    server = (
        sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
        if server_after is not None
        else None
    )
    async with ctx.deps.sessions() as session:
        runs = await session.scalar(select(func.count()).select_from(JourneyRun))
        timers = await session.scalar(select(func.count()).select_from(JourneyTimer))
    await ctx.deps.sessions.kw["bind"].dispose()
    return {"events": n, "inflight": inflight, "runs": runs, "timers": timers,
            "seconds": round(seconds, 2), "per_second": round(n / seconds),
            "cpu_seconds": round(cpu, 2),
            "server_cpu_seconds": None if server is None else round(server, 2),
            "peak_rss_mib": _peak_mib()}  # fmt: skip


async def steps(url: str, m: int) -> dict[str, Any]:
    clock = StillClock()
    ctx = _ctx(url, clock)
    async with ctx.deps.write() as session:
        await session.execute(update(Journey).values(holdout_percent=0))
        await session.execute(update(JourneyRun).values(group="treated"))
        # Only the first M are due; the others wait far ahead.
        await session.execute(update(JourneyTimer).values(due_at=clock.t + timedelta(days=30)))
        ids = list(
            await session.scalars(select(JourneyTimer.id).order_by(JourneyTimer.id).limit(m))
        )
        for start in range(0, len(ids), 10_000):
            await session.execute(
                update(JourneyTimer)
                .where(JourneyTimer.id.in_(ids[start : start + 10_000]))
                .values(due_at=clock.t - timedelta(minutes=1))
            )
    # Far after the carts: the last activity is long past, so every step goes now.
    clock.t += timedelta(hours=1)
    settle_heap_now()
    runner = JourneySteps(ctx, batch=500)
    rss_before = psutil.Process().memory_info().rss / 2**20
    began = time.perf_counter()
    taken = 0
    while taken < m:
        done = await runner.run_once()
        if not done:
            break
        taken += done
    seconds = time.perf_counter() - began
    async with ctx.deps.sessions() as session:
        planned = await session.scalar(select(func.count()).select_from(Delivery))
    await ctx.deps.sessions.kw["bind"].dispose()
    return {"steps": taken, "deliveries": planned, "seconds": round(seconds, 2),
            "per_second": round(taken / seconds) if seconds else None,
            "rss_before_mib": round(rss_before, 1), "peak_rss_mib": _peak_mib()}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(prog="bench.journeys", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("enter", "steps"):
        s = sub.add_parser(name)
        s.add_argument("url")
        s.add_argument("n", type=int)
        if name == "enter":
            s.add_argument("--inflight", type=int, default=INFLIGHT, help="requests at once")
    args = p.parse_args()
    with asyncio.Runner(loop_factory=event_loop) as runner:
        if args.command == "enter":
            result = runner.run(enter(args.url, args.n, args.inflight))
        else:
            result = runner.run(steps(args.url, args.n))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
