"""Redis restarted under load, under three server processes: /readyz says not ready while it is
gone, the processes reconnect and tell the new Redis their rooms again, nothing acknowledged is
lost or doubled, and messages relay across processes again.

The test runs a Redis of its own (`redis-server` on a free port, nothing saved), so that killing
it touches no other test's.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.clients import Recorder, add_operator, cid, login, operator, visitor
from tests.conftest import free_port
from tests.test_three_processes import (
    Three,
    _operator_of,
    _send_until_acked,
    assert_kept_once_and_queue_empty,
    start_three,
)

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class OwnRedis:
    """A redis-server this test may kill and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        # No redis-server: FileNotFoundError here, never a skip.
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - a quick fork, then we poll
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = aioredis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(Exception):
                    await client.ping()
                    return
                await asyncio.sleep(0.05)
            raise RuntimeError(f"redis-server on port {self.port} did not start")
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    yield server
    server.kill()


@pytest.fixture
async def three_on(pg_database: str, tmp_path: Path, own_redis: OwnRedis) -> AsyncIterator[Three]:
    await own_redis.start()
    t = await start_three(pg_database, tmp_path, "routed", own_redis.url)
    yield t
    for p in t.processes:
        p.stop()
    await t.engine.dispose()


async def ready(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{url}/readyz") as r:
        return r.status, await r.json()


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def test_redis_restarted_under_load_loses_nothing_acknowledged(
    three_on: Three, own_redis: OwnRedis
) -> None:
    t = three_on
    a, b, c = t.processes
    fast = {"reconnection_delay": 0.2, "reconnection_delay_max": 1}
    anna = await add_operator(t.deps, "anna", capacity=10)
    op = await operator(c.url, await login(c.url, "anna"), **fast)
    visitors = [await visitor(p.url, **fast) for p in (a, a, b, b)]
    acked: dict[str, int] = {}  # client_id -> message id
    convs: dict[int, int] = {}  # visitor index -> conversation
    stop = asyncio.Event()

    async def visitor_load(i: int, v: Recorder) -> None:
        n = 0
        while not stop.is_set():
            data = {"client_id": cid(), "text": f"v{i}-{n}"}
            ack = await _send_until_acked(v, data)
            acked[data["client_id"]] = ack["message"]["id"]
            convs[i] = ack["conversation"]["id"]
            n += 1
            await asyncio.sleep(0.05)

    async def operator_load() -> None:
        n = 0
        while not stop.is_set():
            for conv in set(convs.values()):
                data = {"conversation_id": conv, "client_id": cid(), "text": f"o-{n}"}
                ack = await _send_until_acked(op, data)
                acked[data["client_id"]] = ack["message"]["id"]
                n += 1
            await asyncio.sleep(0.1)

    load = [asyncio.create_task(visitor_load(i, v)) for i, v in enumerate(visitors)]
    load.append(asyncio.create_task(operator_load()))
    processes = (a, b, c)
    async with aiohttp.ClientSession() as http:
        try:
            await asyncio.sleep(1.5)
            for p in processes:
                assert (await ready(http, p.url))[0] == 200
            own_redis.kill()
            acked_while_up = len(acked)

            # Every process says it is not ready, and names Redis.
            async def all_not_ready() -> bool:
                answers = [await ready(http, p.url) for p in processes]
                return all(s == 503 and body["checks"]["redis"] != "ok" for s, body in answers)

            await until(all_not_ready, 15, "/readyz still ready with Redis gone")
            await asyncio.sleep(1.5)  # the load goes on against a missing Redis
            acked_while_down = len(acked) - acked_while_up

            await own_redis.start()  # empty: every room must be told to it again

            async def all_ready() -> bool:
                return [(await ready(http, p.url))[0] for p in processes] == [200] * 3

            await until(all_ready, 30, "/readyz not ready again after Redis came back")
            fresh = aioredis.from_url(own_redis.url, decode_responses=True)
            hosts_key = f"{t.channel}:hosts"

            async def registered() -> bool:
                return await fresh.zcard(hosts_key) == 3

            await until(registered, 30, "the processes did not register with the new Redis")
            await fresh.aclose()
            acked_before_end = len(acked)
            await asyncio.sleep(2)  # and the load goes on over the new Redis
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*load), 60)
    # Chats went on being saved and acknowledged while Redis was gone (checked below with the rest).
    assert acked_while_down > 0
    assert len(acked) > acked_before_end + 10, "the load did not go on after the restart"

    await assert_kept_once_and_queue_empty(t.deps, acked)
    for conv in set(convs.values()):
        assert await _operator_of(t.deps, conv) == anna.id

    # The console, opening each conversation, holds every acknowledged message once.
    seen: set[int] = set()
    for conv in set(convs.values()):
        ids = [m["id"] for m in (await op.call("open", {"conversation_id": conv}))["messages"]]
        assert len(ids) == len(set(ids))
        seen |= set(ids)
    assert set(acked.values()) <= seen

    # Live relay across processes works again: visitors on a and b, the operator on c.
    for i in (0, 2):
        text = f"after the restart {i}"
        await _send_until_acked(visitors[i], {"client_id": cid(), "text": text})
        await op.wait_for("message", lambda m, text=text: m["text"] == text, timeout=10)
        reply = f"answer {i}"
        data = {"conversation_id": convs[i], "client_id": cid(), "text": reply}
        await _send_until_acked(op, data)
        await visitors[i].wait_for("message", lambda m, reply=reply: m["text"] == reply, timeout=10)
    for client in (op, *visitors):
        with contextlib.suppress(Exception):
            await client.close()
