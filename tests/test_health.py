"""/healthz says the process answers; /readyz names what is failing, with 503."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

from tests import conftest
from tests.conftest import REDIS_URL, Server, pg_url, reset_pg
from tests.tcp_cut import CuttableRelay


async def ready(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as r:
        return r.status, await r.json()


async def wait_ready(url: str, status: int, timeout: float = 20) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got, body = await ready(url)
        if got == status:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.2)


async def test_readyz_names_the_failing_part(pg_database: str, tmp_path: Path) -> None:
    await reset_pg()
    redis_port = make_url(REDIS_URL).port or 6379
    pg, redis = CuttableRelay(5432), CuttableRelay(redis_port)
    await pg.start()
    await redis.start()
    db = make_url(pg_url()).set(port=pg.port).render_as_string(hide_password=False)
    settings = conftest.test_settings(db, tmp_path, redis_url=f"redis://127.0.0.1:{redis.port}/0")
    srv = Server(settings.model_copy(update={"redis_channel": f"health-{redis.port}"}))
    await srv.start()
    try:
        body = await wait_ready(srv.url, 200)
        assert body == {
            "ready": True,
            "checks": {"database": "ok", "redis": "ok", "delivery_worker": "ok"},
        }

        await redis.cut()
        body = await wait_ready(srv.url, 503)
        assert body["checks"]["redis"] != "ok"
        assert body["checks"]["database"] == "ok"
        async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/healthz") as r:
            assert r.status == 200  # alive, only not ready
        await redis.start()
        await wait_ready(srv.url, 200)

        await pg.cut()
        body = await wait_ready(srv.url, 503)
        assert body["checks"]["database"] != "ok"
        assert body["checks"]["redis"] == "ok"
        await pg.start()
        await wait_ready(srv.url, 200)
    finally:
        await srv.stop()
        await pg.cut()
        await redis.cut()


async def test_readyz_without_redis_and_with_a_stopped_worker(
    sqlite_url: str, tmp_path: Path
) -> None:
    srv = Server(conftest.test_settings(sqlite_url, tmp_path))
    await srv.start()
    try:
        body = await wait_ready(srv.url, 200)
        assert body["checks"] == {"database": "ok", "delivery_worker": "ok"}
        from prilavok.bot.web import WORKER

        # A worker whose loop ended (it crashed, or was never started) is not ready.
        srv.app[WORKER].running = False
        body = await wait_ready(srv.url, 503)
        assert body["checks"]["delivery_worker"] == "not running"
    finally:
        await srv.stop()
