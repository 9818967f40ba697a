"""Dispatch: a campaign through a fake Telegram that enforces 30 messages a second, and the
planning of a big campaign (500,000 customers in the full profile).

Campaign: the fake Telegram Bot API of `devkit/fakes` runs in this process (a real aiohttp
server on loopback) with Telegram's bot-wide limit switched on: more than 30 accepted
sendMessage calls in any one second are answered 429 with `retry_after`. `prilavok serve`
(SQLite) is pointed at it through PRILAVOK_TELEGRAM_API_BASE. Customers come in through the
REST API and link their chats through the webhook's `/start <token>`, as a customer pressing
the t.me link does (the limit is off while they link: the bot's replies are not the campaign);
then one offer through the REST API, and the server's own delivery worker sends it. Counted at
the fake: messages a second sustained after the first seconds, 429s, retries that came before
their retry_after was over, and customers who did not get exactly one message.

Three processes (`prilavok-3proc`): the same campaign, with three `prilavok serve` on
PostgreSQL sharing Redis, each with its own delivery worker; the limit is kept by all three
together through Redis (bot/shared_pace.py). Counted besides: the busiest one-second window.

Planning: `bench/planning.py` in processes of their own, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil

from bench import seed, servers
from bench.config import Profile
from bench.meter import CpuMeter
from bench.targets import (
    PG_ADMIN,
    PG_DATABASE,
    REDIS_URL,
    THREE_PROCESSES,
    fresh_database,
    pg_url,
)
from devkit.fakes.telegram import FakeTelegram, update_message
from prilavok.bot.clock import SystemClock
from prilavok.storage.db import create_engine, migrate

TOKEN = "424242:bench-token"
SECRET = "bench-webhook-secret"
BOT = "bench_offers_bot"
SHOP = "bench-shop"
LIMIT = 30  # Telegram's messages a second for one bot
FIRST_CHAT = 50_000_000
LINKS_IN_FLIGHT = 8
BATCH = 5_000  # customers a request, the API's maximum
TEMPLATE = (
    "{{ customer.first_name }}, к вашему телефону подойдёт {{ product.title }} "
    "за {{ product.price }} ₽"
)


def daytime_zone(now: datetime) -> str:
    """A time zone where it is about two in the afternoon now, so that the night hours
    (21:00–10:00 in the customer's zone) hold nothing back."""
    east = (14 - now.hour) % 24
    if east > 14:
        east -= 24
    # The Etc/GMT names count the other way round: Etc/GMT-3 is three hours east of UTC.
    return f"Etc/GMT{-east:+d}" if east else "Etc/UTC"


async def _api_key(server: servers.MeasuredServer) -> str:
    """`prilavok api-key create`, as an admin would run it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prilavok.cli", "api-key", "create", SHOP,
        cwd=servers.ROOT, env={**os.environ, **server.env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    key = out.decode().strip().splitlines()[-1] if out.strip() else ""
    if proc.returncode or not key.startswith("pk_"):
        raise RuntimeError(f"api-key create: {out.decode()[-500:]}")
    return key


async def _customers(http: aiohttp.ClientSession, url: str, n: int) -> list[dict[str, Any]]:
    zone = daytime_zone(datetime.now(UTC))
    made: list[dict[str, Any]] = []
    for start in range(0, n, BATCH):
        batch = [
            {
                "name": f"Покупатель {i}",
                "phone": f"+7901{i:07d}",
                "timezone": zone,
                "consent": {"telegram": True},
            }
            for i in range(start, min(n, start + BATCH))
        ]
        async with http.post(f"{url}/api/v1/customers", json={"customers": batch}) as r:
            body = await r.json()
            if r.status != 200:
                raise RuntimeError(f"customers: {r.status} {body}")
        made += body["customers"]
    return made


async def _link(url: str, customers: list[dict[str, Any]]) -> int:
    """Each customer presses their t.me link: Telegram posts `/start <token>` to the webhook.
    Returns how many links failed."""
    gate = asyncio.Semaphore(LINKS_IN_FLIGHT)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def one(http: aiohttp.ClientSession, i: int, customer: dict[str, Any]) -> bool:
        token = customer["telegram_link"].split("start=", 1)[1]
        update = update_message(i + 1, FIRST_CHAT + i, f"/start {token}")
        async with gate, http.post(f"{url}/bot/telegram/webhook", json=update) as r:
            await r.read()
            return r.status == 200

    async with aiohttp.ClientSession(headers=headers) as http:
        done = await asyncio.gather(*(one(http, i, c) for i, c in enumerate(customers)))
    return done.count(False)


def busiest_second(times: list[float]) -> int:
    """The most messages any one-second window held (sliding, as Telegram counts)."""
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= 1:
            first += 1
        most = max(most, last - first + 1)
    return most


def _rates(times: list[float], ramp: float) -> dict[str, Any]:
    """Messages a second over the whole campaign, and sustained after the first `ramp` s."""
    if len(times) < 2:
        return {"overall_per_second": None, "sustained_per_second": None}
    first, last = times[0], times[-1]
    since = first + ramp
    steady = sum(1 for t in times if t > since)
    sustained = steady / (last - since) if last > since and steady else None
    return {
        "overall_per_second": round((len(times) - 1) / (last - first), 2),
        "sustained_per_second": None if sustained is None else round(sustained, 2),
        "sustained_share_of_limit": None if sustained is None else round(sustained / LIMIT, 3),
        "sending_seconds": round(last - first, 1),
        "busiest_second": busiest_second(times),
    }


async def _states(http: aiohttp.ClientSession, url: str, offer_id: int) -> dict[str, int]:
    async with http.get(f"{url}/api/v1/offers/{offer_id}") as r:
        return dict((await r.json())["offer"]["deliveries"])


async def campaign(profile: Profile, work: Path, target: str = "prilavok-sqlite") -> dict[str, Any]:
    """One process on SQLite, or (`prilavok-3proc`) three on PostgreSQL sharing Redis."""
    n = profile.dispatch_customers
    _folder(work)
    three = target == THREE_PROCESSES
    if three:
        await seed.fresh_postgres(PG_ADMIN, PG_DATABASE)
        db_url = pg_url()
    else:
        db_url = f"sqlite+aiosqlite:///{work / 'prilavok.db'}"
    engine = create_engine(db_url)
    await migrate(engine)
    await engine.dispose()
    fake = FakeTelegram(TOKEN, SystemClock(), username=BOT)
    await fake.start()
    shared = {"redis_url": REDIS_URL, "redis_channel": f"bench-{uuid.uuid4().hex[:12]}"}
    running = [
        servers.prilavok(
            f"{target}-{side}",
            work / f"server-{side}.log",
            profile.scenario_timeout,
            database_url=db_url,
            data_dir=work,
            telegram_token=TOKEN,
            telegram_api_base=fake.url,
            telegram_webhook_secret=SECRET,
            telegram_bot_username=BOT,
            telegram_per_second=str(LIMIT),
            **(shared if three else {}),
        )
        for side in ("abc" if three else "a")
    ]
    server = running[0]  # the API and the webhook; every process's worker sends
    try:
        key = await _api_key(server)
        for s in running:
            await s.start()
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
            product = {"sku": "case-12", "title": "Чехол", "stock": n, "price": "990"}
            async with http.post(f"{server.url}/api/v1/catalog", json={"products": [product]}) as r:
                if r.status != 200:
                    raise RuntimeError(f"catalog: {r.status} {await r.text()}")
            customers = await _customers(http, server.url, n)
            link_failures = await _link(server.url, customers)
            await asyncio.sleep(1.5)  # the bot's replies are a second old: no chat is too soon

            # From here on the fake counts: the limit on, its books emptied.
            fake.sent.clear()
            fake.violations.clear()
            fake.rate_limited = fake.calls = 0
            fake.per_second = LIMIT
            loop = asyncio.get_running_loop()
            server_cpu = CpuMeter([p for s in running for p in s.procs()]).start()
            fake_cpu = CpuMeter([psutil.Process()]).start()
            began = loop.time()
            offer = {"title": "Чехол к новому телефону", "sku": "case-12", "template": TEMPLATE}
            async with http.post(f"{server.url}/api/v1/offers", json=offer) as r:
                body = await r.json()
                if r.status != 201:
                    raise RuntimeError(f"offer: {r.status} {body}")
            offer_id, planned = body["offer"]["id"], body["offer"]["planned"]

            # Every planned message at 30 a second, plus room for waits; then whatever is
            # still moving gets a few seconds more, so a late duplicate would be seen.
            deadline = began + planned / LIMIT * 1.5 + 60
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fake.wait_sent(planned), deadline - loop.time())
            states = await _states(http, server.url, offer_id)
            while any(s in ("scheduled", "sending") for s in states) and loop.time() < deadline:
                await asyncio.sleep(1)
                states = await _states(http, server.url, offer_id)
            await asyncio.sleep(3)
            server_cpu_pct, fake_cpu_pct = server_cpu.stop(), fake_cpu.stop()
            wall = loop.time() - began
            states = await _states(http, server.url, offer_id)
    finally:
        for s in running:
            s.stop()
        await fake.stop()
        if three:
            await _drop_postgres()

    offers = [m for m in fake.sent if m["reply_markup"]]
    got = Counter(m["chat_id"] for m in offers)
    chats = [FIRST_CHAT + i for i in range(len(customers))]
    missing = sum(1 for c in chats if got[c] == 0)
    repeated = sum(1 for c in chats if got[c] > 1)
    early = [v for v in fake.violations if "retry_after" in v]
    return {
        "processes": len(running),
        "customers": len(customers),
        "link_failures": link_failures,
        "planned": planned,
        "accepted": len(offers),
        "limit_per_second": LIMIT,
        **_rates(sorted(m["at"].timestamp() for m in offers), profile.dispatch_ramp_seconds),
        "ramp_seconds_left_out": profile.dispatch_ramp_seconds,
        "sendmessage_calls": fake.calls,
        "http_429": fake.rate_limited,
        "retries_before_retry_after": len(early),
        "per_chat_violations": len(fake.violations) - len(early),
        # Customers who did not get exactly one message: none, or more than one.
        "lost": missing + repeated,
        "missing": missing,
        "duplicated": repeated,
        "states": states,
        "wall_seconds": round(wall, 1),
        "server_cpu_pct": server_cpu_pct,
        "server_cpu_ms_per_message": round(server_cpu.seconds * 1000 / len(offers), 2)
        if offers
        else None,
        "fake_telegram_cpu_pct": fake_cpu_pct,
    }


async def _run_json(argv: list[str], timeout: float) -> dict[str, Any]:
    """Runs a bench helper process under `timeout`; its last line of output is JSON."""
    proc = await asyncio.create_subprocess_exec(
        "timeout", "-k", "5", str(int(timeout)), sys.executable, *argv,
        cwd=servers.ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {proc.returncode}: {err.decode()[-800:]}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def planning(backend: str, profile: Profile, work: Path) -> dict[str, Any]:
    """Seeds a fresh database (not measured), then plans one offer for the whole shop in a
    process of its own; on SQLite the planned texts are then rendered too."""
    _folder(work)
    path = work / f"planning-{backend}.db"
    url = await fresh_database(backend, path)
    bound = profile.scenario_timeout
    try:
        seeded = await _run_json(
            ["-m", "bench.planning", "seed", url, str(profile.plan_customers)], bound
        )
        render = ["--render"] if backend == "sqlite" else []
        planned = await _run_json(["-m", "bench.planning", "plan", url, *render], bound)
    finally:
        _remove(path)
        if backend != "sqlite":
            await _drop_postgres()
    return {"backend": backend, **seeded, **planned}


def _folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _remove(db: Path) -> None:
    """The planning database and its WAL: hundreds of megabytes that nobody reads afterwards."""
    for leftover in db.parent.glob(f"{db.name}*"):
        leftover.unlink()


async def _drop_postgres() -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()


async def dispatch(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    work = run_dir / "dispatch"
    result: dict[str, Any] = {"scenario": "dispatch", "target": target}
    failed: list[str] = []
    try:
        result["campaign"] = await campaign(profile, work / target, target)
    except Exception as exc:  # the planning figures are worth having all the same
        failed.append(f"campaign: {type(exc).__name__}: {exc}")
    result["planning"] = []
    # Planning does not depend on the number of processes: measured with the one-process run.
    for backend in ("sqlite", "postgresql") if target != THREE_PROCESSES else ():
        print(f"# dispatch: planning on {backend} ...", file=sys.stderr, flush=True)
        try:
            result["planning"].append(await planning(backend, profile, work))
        except Exception as exc:
            failed.append(f"planning on {backend}: {type(exc).__name__}: {exc}")
    if failed:
        result["error"] = "; ".join(failed)
    return result
