"""Three server processes on PostgreSQL and Redis: a relayed message costs about one Redis
message whatever the number of processes, and one process killed under load loses nothing
acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from devkit.processes import ServerProcess
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.consult.kernel.throttle import DEFAULT_RULES as LIMITS
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import Conversation, Message
from tests.clients import Recorder, add_operator, cid, login, operator, visitor
from tests.conftest import REDIS_URL, reset_pg
from tests.tcp_cut import CuttableRelay

TOKEN = "three-processes"
HOST_TTL = 2


@dataclass
class Three:
    processes: list[ServerProcess]
    deps: Deps
    engine: AsyncEngine
    channel: str

    async def redis_received(self) -> float:
        """prilavok_redis_messages_received_total summed over the live processes."""
        total = 0.0
        async with aiohttp.ClientSession() as http:
            for p in self.processes:
                if p.proc is None or p.proc.poll() is not None:
                    continue
                headers = {"Authorization": f"Bearer {TOKEN}"}
                async with http.get(f"{p.url}/metrics", headers=headers) as r:
                    assert r.status == 200
                    for line in (await r.text()).splitlines():
                        if line.startswith("prilavok_redis_messages_received_total "):
                            total += float(line.split()[1])
        return total


async def start_three(
    pg_database: str, tmp_path: Path, routing: str, redis_url: str = REDIS_URL
) -> Three:
    await aioredis.from_url(redis_url).ping()  # no Redis: fail here, loudly
    await reset_pg()
    engine = create_engine(pg_database)
    await migrate(engine)
    deps = Deps(sessionmaker(engine), RecordingNotifier())
    channel = f"three-{uuid.uuid4().hex[:10]}"
    env = {
        "PRILAVOK_DATABASE_URL": pg_database,
        "PRILAVOK_REDIS_URL": redis_url,
        "PRILAVOK_REDIS_CHANNEL": channel,
        "PRILAVOK_REDIS_ROUTING": routing,
        "PRILAVOK_REDIS_HOST_TTL_SECONDS": str(HOST_TTL),
        "PRILAVOK_HEARTBEAT_SECONDS": "1",
        "PRILAVOK_PRESENCE_TTL_SECONDS": "3",
        "PRILAVOK_METRICS_TOKEN": TOKEN,
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "three-processes",
        "PRILAVOK_AUTO_MIGRATE": "false",
        # Load from one test address, as a benchmark's: the per-visitor and per-address limits
        # (tested on their own in tests/widget/test_limits.py) are off.
        **{f"PRILAVOK_LIMIT_{name.upper()}": "" for name in LIMITS},
    }
    processes = [ServerProcess.prilavok(tmp_path / f"{n}.log", env) for n in "abc"]
    # Three at once on a busy 2-core machine can take a while to import and bind.
    await asyncio.gather(*(p.start(timeout=120) for p in processes))
    return Three(processes, deps, engine, channel)


@pytest.fixture
async def three(pg_database: str, tmp_path: Path) -> AsyncIterator[Any]:
    started: list[Three] = []

    async def make(routing: str = "routed") -> Three:
        started.append(await start_three(pg_database, tmp_path, routing))
        return started[-1]

    yield make
    for t in started:
        for p in t.processes:
            p.stop()
        await t.engine.dispose()
        r = aioredis.from_url(REDIS_URL)
        keys = [k async for k in r.scan_iter(f"{t.channel}:*")]
        if keys:
            await r.delete(*keys)
        await r.aclose()


@pytest.mark.parametrize("routing", ["routed", "broadcast"])
async def test_a_relayed_message_costs_one_redis_message(three: Any, routing: str):
    t: Three = await three(routing)
    a, b, c = t.processes
    await add_operator(t.deps, "anna", capacity=10)
    op = await operator(c.url, await login(c.url, "anna"))
    visitors = [await visitor(p.url) for p in (a, a, a, b, b, b)]
    convs = []
    for v in visitors:  # each opens its chat; rooms are read into the caches
        ack = await v.call("message", {"client_id": cid(), "text": "hello"})
        convs.append(ack["conversation"]["id"])
        await op.call("message", {"conversation_id": convs[-1], "client_id": cid(), "text": "hi"})
        await v.wait_for("message", lambda m: m["author"] == "operator")
    await asyncio.sleep(0.5)

    before = await t.redis_received()
    rounds = 5
    for i in range(rounds):
        for v, conv in zip(visitors, convs, strict=True):
            await v.call("message", {"client_id": cid(), "text": f"v{i}"})
            await op.call("message", {"conversation_id": conv, "client_id": cid(), "text": f"o{i}"})
    for v in visitors:
        await v.wait_for("message", lambda m: m["text"] == f"o{rounds - 1}")
    await op.wait_for(
        "message", lambda m: len([x for x in op.of("message") if x["text"][0] == "v"]) == 30
    )
    await asyncio.sleep(0.5)
    per_message = (await t.redis_received() - before) / (2 * rounds * len(visitors))
    if routing == "routed":
        # Each message crosses once, to the one process that hosts its reader.
        assert 0.9 <= per_message <= 1.2, per_message
    else:
        # python-socketio's stock manager: two room emits a message, each to all three.
        assert per_message >= 3, per_message
    for client in (op, *visitors):
        await client.close()


async def _send_until_acked(client: Recorder, data: dict[str, Any]) -> dict[str, Any]:
    """As the widget's outbox: the same client_id again until it is acknowledged."""
    while True:
        try:
            ack = await client.call(event="message", data=data, timeout=3)
        except Exception:
            await asyncio.sleep(0.1)
            continue
        assert ack.get("message"), ack
        return ack


async def test_sigkill_one_of_three_under_load_loses_nothing_acknowledged(three: Any):
    t: Three = await three()
    a, b, c = t.processes
    # A load balancer in front of b: after b dies it sends new connections to a.
    balancer = CuttableRelay(b.port)
    await balancer.start()
    lb = f"http://127.0.0.1:{balancer.port}"
    fast = {"reconnection_delay": 0.2, "reconnection_delay_max": 1}
    anna = await add_operator(t.deps, "anna", capacity=5)
    boris = await add_operator(t.deps, "boris", capacity=5)
    op_anna = await operator(lb, await login(c.url, "anna"), **fast)
    op_boris = await operator(c.url, await login(c.url, "boris"), **fast)
    visitors = [await visitor(url, **fast) for url in (a.url, a.url, lb, lb, lb, c.url)]
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

    async def operator_load(op: Recorder, op_id: int) -> None:
        n = 0
        while not stop.is_set():
            mine = [
                conv for conv in set(convs.values()) if await _operator_of(t.deps, conv) == op_id
            ]
            for conv in mine:
                data = {"conversation_id": conv, "client_id": cid(), "text": f"o{op_id}-{n}"}
                ack = await _send_until_acked(op, data)
                acked[data["client_id"]] = ack["message"]["id"]
                n += 1
            await asyncio.sleep(0.1)

    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    hosts_key = f"{t.channel}:hosts"
    load = [asyncio.create_task(visitor_load(i, v)) for i, v in enumerate(visitors)]
    load += [
        asyncio.create_task(operator_load(op_anna, anna.id)),
        asyncio.create_task(operator_load(op_boris, boris.id)),
    ]
    try:
        await asyncio.sleep(1.5)
        hosts_before = set(await r.zrange(hosts_key, 0, -1))
        assert len(hosts_before) == 3
        acked_before_kill = len(acked)
        b.kill()
        balancer.target_port = a.port
        await balancer.cut()  # drop what the dead process left half-open
        await balancer.start()

        # b's rooms leave the registry within seconds.
        loop = asyncio.get_running_loop()
        started = loop.time()
        while len(set(await r.zrange(hosts_key, 0, -1)) & hosts_before) != 2:
            assert loop.time() - started < HOST_TTL * 4, "the dead process stayed registered"
            await asyncio.sleep(0.2)
        (dead,) = hosts_before - set(await r.zrange(hosts_key, 0, -1))
        assert not await r.exists(f"{t.channel}:o:{dead}")
        async for key in r.scan_iter(f"{t.channel}:r:*"):
            assert dead not in await r.smembers(key), key

        await asyncio.sleep(2)  # the load goes on over the survivors
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*load), 30)
        await r.aclose()
    assert len(acked) > acked_before_kill + 10, "the load did not go on after the kill"

    await assert_kept_once_and_queue_empty(t.deps, acked)

    # The consoles resynced: Anna's came back through the balancer with a fresh init; every
    # conversation, opened from its operator's console, holds each acknowledged message once.
    await op_anna.wait_for("init", lambda _: len(op_anna.of("init")) >= 2, timeout=20)
    consoles = {anna.id: op_anna, boris.id: op_boris}
    seen: set[int] = set()
    for conv in set(convs.values()):
        op = consoles[await _operator_of(t.deps, conv)]
        ids = [m["id"] for m in (await op.call("open", {"conversation_id": conv}))["messages"]]
        assert len(ids) == len(set(ids))
        seen |= set(ids)
    assert set(acked.values()) <= seen

    # And live relay goes on across the survivors: a visitor that was on b talks to its
    # operator, wherever each of them is now.
    v = visitors[3]
    ack = await _send_until_acked(v, {"client_id": cid(), "text": "still here?"})
    owner = consoles[await _operator_of(t.deps, ack["conversation"]["id"])]
    await owner.wait_for("message", lambda m: m["text"] == "still here?", timeout=10)
    for client in (op_anna, op_boris, *visitors):
        with contextlib.suppress(Exception):
            await client.close()
    await balancer.cut()


async def _operator_of(deps: Deps, conversation_id: int) -> int | None:
    async with deps.sessions() as session:
        return await session.scalar(
            select(Conversation.operator_id).where(Conversation.id == conversation_id)
        )


async def assert_kept_once_and_queue_empty(deps: Deps, acked: dict[str, int]) -> None:
    """Nothing acknowledged is lost or doubled (one row per client_id, with the acked id), and
    no chat is left waiting."""
    async with deps.sessions() as session:
        rows = dict(
            (
                await session.execute(
                    select(Message.client_id, Message.id).where(Message.client_id.in_(acked))
                )
            ).all()
        )
        doubled = await session.execute(
            select(Message.client_id, func.count())
            .where(Message.client_id.in_(acked))
            .group_by(Message.client_id)
            .having(func.count() > 1)
        )
        assert doubled.all() == []
        queued = await session.scalar(select(func.count()).where(Conversation.status == "queued"))
    assert rows == acked
    assert queued == 0
