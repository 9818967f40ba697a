"""/healthz (the process answers) and /readyz (it can do its work: database, Redis when
configured, the delivery worker), so a load balancer or an orchestrator is told the truth."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import text

from prilavok.bot.worker import DeliveryWorker
from prilavok.consult.kernel.deps import Deps

CHECK_SECONDS = 2.0
# A pass that has neither begun nor ended for this long means a stuck worker (a pass that
# waits on a slow channel still beats at its start).
WORKER_STALE_SECONDS = 120.0

Check = Callable[[], Awaitable[str | None]]  # None when fine, else what is wrong


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def setup(
    app: web.Application,
    deps: Deps,
    *,
    redis_url: str,
    worker: Callable[[], DeliveryWorker | None],
) -> None:
    checks: dict[str, Check] = {}

    async def database() -> str | None:
        async with deps.sessions() as session:
            await session.execute(text("SELECT 1"))
        return None

    checks["database"] = database
    client: list[aioredis.Redis] = []
    if redis_url:

        async def redis() -> str | None:
            await client[0].ping()
            return None

        checks["redis"] = redis

    async def delivery_worker() -> str | None:
        w = worker()
        if w is None:
            return None
        if not w.running:
            return "not running"
        if w.failure:
            return f"last pass failed: {w.failure}"
        if time.monotonic() - w.beat > WORKER_STALE_SECONDS:
            return f"no pass for {time.monotonic() - w.beat:.0f} s"
        return None

    checks["delivery_worker"] = delivery_worker

    async def readyz(request: web.Request) -> web.Response:
        names = list(checks)
        results = await asyncio.gather(*(_run(checks[n]) for n in names))
        failing = {n: r for n, r in zip(names, results, strict=True) if r is not None}
        body = {
            "ready": not failing,
            "checks": {n: failing.get(n, "ok") for n in names},
        }
        return web.json_response(body, status=503 if failing else 200)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if redis_url:
            client.append(
                aioredis.Redis.from_url(
                    redis_url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
                )
            )
        yield
        for c in client:
            with contextlib.suppress(Exception):
                await c.aclose()

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(lifecycle)


async def _run(check: Check) -> str | None:
    try:
        return await asyncio.wait_for(check(), CHECK_SECONDS)
    except TimeoutError:
        return f"no answer in {CHECK_SECONDS:.0f} s"
    except Exception as exc:  # the failing part is named in the answer, not raised
        return f"{type(exc).__name__}: {str(exc)[:200]}"
