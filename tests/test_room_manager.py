"""RoutedRedisManager: Socket.IO servers on real ports sharing rooms through the real Redis.

Each server has its own manager, host id and Redis connections, as a process would; clients
are python-socketio clients over WebSocket. What crosses between servers is counted by the
managers (`received`, `published`), so each test says how many Redis messages a step costs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import pytest
import redis.asyncio as aioredis
import socketio
from aiohttp import web

from devkit.ports import free_port
from prilavok.realtime import start_manager
from prilavok.room_manager import RoutedRedisManager
from prilavok.room_registry import token
from tests.conftest import REDIS_URL
from tests.tcp_cut import CuttableRelay

TTL = 2.0


class Node:
    """One Socket.IO server (a process, as far as rooms go) on a port of its own."""

    def __init__(self, channel: str, broadcast_over: int, redis_url: str = REDIS_URL) -> None:
        self.manager = RoutedRedisManager(
            redis_url, channel, broadcast_over=broadcast_over, host_ttl=TTL
        )
        self.sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=self.manager)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any]) -> None:
            for room in (auth or {}).get("rooms", []):
                await self.sio.enter_room(sid, room)

        self.sio.on("connect", connect)

    async def start(self) -> None:
        app = web.Application()
        self.sio.attach(app)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        start_manager(self.sio)
        await until(lambda: self.manager._listening)

    async def stop(self, *, leave: bool = True) -> None:
        await self.manager.close(leave=leave)
        await self.runner.cleanup()


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


class Client:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.got: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.answer: Any = None

        @self.sio.on("*")
        async def any_event(event: str, data: Any = None) -> Any:
            await self.got.put((event, data))
            return self.answer

    async def connect(self, node: Node, *rooms: str) -> Client:
        await self.sio.connect(node.url, transports=["websocket"], auth={"rooms": list(rooms)})
        return self

    @property
    def sid(self) -> str:
        return str(self.sio.get_sid("/"))

    async def next(self, timeout: float = 5) -> tuple[str, Any]:
        return await asyncio.wait_for(self.got.get(), timeout)

    async def nothing(self, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        assert self.got.empty(), self.got.get_nowait()


Cluster = Callable[..., Awaitable[list[Node]]]


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    await aioredis.from_url(REDIS_URL).ping()  # no Redis: fail here, loudly
    nodes: list[Node] = []
    clients: list[Client] = []
    channel = f"rm-{uuid.uuid4().hex[:10]}"

    async def make(n: int, broadcast_over: int = 8, redis_url: str = REDIS_URL) -> list[Node]:
        for _ in range(n):
            node = Node(channel, broadcast_over, redis_url)
            await node.start()
            nodes.append(node)
        return nodes

    make.clients = clients  # type: ignore[attr-defined]
    yield make
    for c in clients:
        await c.sio.disconnect()
    for node in nodes:
        await node.stop()
    r = aioredis.from_url(REDIS_URL)
    keys = [k async for k in r.scan_iter(f"{channel}:*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()


async def connect(cluster: Cluster, node: Node, *rooms: str) -> Client:
    client = await Client().connect(node, *rooms)
    cluster.clients.append(client)  # type: ignore[attr-defined]
    return client


def counts(nodes: list[Node]) -> list[int]:
    return [n.manager.received for n in nodes]


async def test_an_emit_goes_only_to_the_processes_hosting_the_room(cluster: Cluster):
    a, b, c = await cluster(3)
    on_a = await connect(cluster, a, "r")
    on_b = await connect(cluster, b, "r")
    on_c = await connect(cluster, c, "elsewhere")
    before = counts([a, b, c])
    await c.sio.emit("hello", {"n": 1}, room="r")
    assert await on_a.next() == ("hello", {"n": 1})
    assert await on_b.next() == ("hello", {"n": 1})
    await on_c.nothing()
    # One message to each process hosting "r", none to the sender.
    assert [x - y for x, y in zip(counts([a, b, c]), before, strict=True)] == [1, 1, 0]
    assert c.manager.published == 2


async def test_emits_of_one_turn_go_in_one_call_in_order(cluster: Cluster):
    a, b, c, d = await cluster(4, broadcast_over=2)
    on_b = await connect(cluster, b, "r", "s", "all")
    on_c = await connect(cluster, c, "s", "all")
    on_a = await connect(cluster, a, "all")
    await connect(cluster, d, "elsewhere")
    before = counts([a, b, c, d])
    # Emitted together: one script call routes them all, each to its own hosts.
    await asyncio.gather(
        *(d.sio.emit("m", i, room=("r", "s", "nowhere", "all")[i % 4]) for i in range(12))
    )
    assert [await on_b.next() for _ in range(9)] == [("m", i) for i in range(12) if i % 4 != 2]
    assert [await on_c.next() for _ in range(6)] == [("m", i) for i in range(12) if i % 4 in (1, 3)]
    assert [await on_a.next() for _ in range(3)] == [("m", i) for i in (3, 7, 11)]
    # "r": b; "s": b and c; "nowhere": none; "all": three hosts > 2, one broadcast.
    assert d.manager.published == 3 * (1 + 2 + 0 + 1)
    await asyncio.sleep(0.2)
    got = [x - y for x, y in zip(counts([a, b, c, d]), before, strict=True)]
    assert got == [3, 3 * 3, 3 * 2, 3]


async def test_a_room_hosted_only_here_costs_no_redis(cluster: Cluster):
    a, b = await cluster(2)
    here = await connect(cluster, a, "solo")
    await connect(cluster, b, "other")
    await a.sio.emit("ping", 1, room="solo")  # reads the registry once, then caches
    assert await here.next() == ("ping", 1)
    published, before = a.manager.published, counts([a, b])
    for i in range(20):
        await a.sio.emit("ping", i, room="solo")
    for i in range(20):
        assert await here.next() == ("ping", i)
    assert a.manager.published == published
    assert counts([a, b]) == before


async def test_a_room_that_other_processes_join_and_leave_is_followed(cluster: Cluster):
    a, b, c = await cluster(3)
    first = await connect(cluster, a, "r")
    await a.sio.emit("m", 1, room="r")  # a caches: nobody else hosts "r"
    assert await first.next() == ("m", 1)
    late = await connect(cluster, b, "r")  # b joins "r": a is told to forget what it cached
    await asyncio.sleep(0.1)  # the time for that word to cross Redis
    for sender in (a, c):  # from a process in the room, and from one outside it
        await sender.sio.emit("m", 2, room="r")
        assert await first.next() == ("m", 2)
        assert await late.next() == ("m", 2)
    await late.sio.disconnect()  # b leaves "r"
    await asyncio.sleep(0.3)
    b_before, published = b.manager.received, a.manager.published
    await a.sio.emit("m", 3, room="r")
    assert await first.next() == ("m", 3)
    await c.sio.emit("m", 4, room="r")
    assert await first.next() == ("m", 4)
    await asyncio.sleep(0.2)
    assert b.manager.received == b_before
    assert a.manager.published == published  # "r" is a's alone again: no Redis


async def test_acks_come_back_across_processes(cluster: Cluster):
    a, b = await cluster(2)
    client = await connect(cluster, a)
    client.answer = {"ok": True, "seen": 7}
    got = await b.sio.call("question", {"q": 1}, to=client.sid, timeout=5)
    assert got == {"ok": True, "seen": 7}
    assert await client.next() == ("question", {"q": 1})
    # A sid names its process: the question went to a alone, the answer to b alone.
    assert b.manager.published == 1 and a.manager.published == 1


async def test_skip_sid_across_processes(cluster: Cluster):
    a, b = await cluster(2)
    sender = await connect(cluster, a, "v")
    other_tab = await connect(cluster, a, "v")
    await b.sio.emit("message", "x", room="v", skip_sid=sender.sid)
    assert await other_tab.next() == ("message", "x")
    await sender.nothing()


async def test_nothing_is_built_here_when_nobody_here_receives(cluster: Cluster):
    a, b = await cluster(2)
    sender = await connect(cluster, a, "v")
    other_tab = await connect(cluster, b, "v")
    built: list[Any] = []

    class Counted(a.sio.packet_class):  # type: ignore[name-defined,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs.get("data"))
            super().__init__(*args, **kwargs)

    a.sio.packet_class = Counted
    # The visitor's message to its own room from its only tab here: for the tab on b alone.
    await a.sio.emit("message", {"n": 1}, room="v", skip_sid=sender.sid)
    assert await other_tab.next() == ("message", {"n": 1})
    await sender.nothing()
    assert built == []
    await a.sio.emit("message", {"n": 2}, room="v")  # with the sender: built once, for it
    assert await sender.next() == ("message", {"n": 2})
    assert await other_tab.next() == ("message", {"n": 2})
    assert built == [["message", {"n": 2}]]


async def test_bytes_go_to_both_sides_as_bytes(cluster: Cluster):
    a, b = await cluster(2)
    here = await connect(cluster, a, "r")
    there = await connect(cluster, b, "r")
    await a.sio.emit("file", {"name": "x", "body": b"\x00\xffok"}, room="r")
    for client in (here, there):
        assert await client.next() == ("file", {"name": "x", "body": b"\x00\xffok"})


async def test_a_slow_socket_does_not_hold_up_what_comes_from_redis(cluster: Cluster):
    """The listener hands each emit from another process to the sockets' queues and reads the
    next at once: it never waits for a send (on a busy process that wait fell behind)."""
    a, b = await cluster(2)
    there = await connect(cluster, b, "r")
    await connect(cluster, a, "elsewhere")
    send = b.sio._send_eio_packet
    release = asyncio.Event()
    started: list[Any] = []

    async def held(eio_sid: str, pkt: Any) -> None:
        started.append(pkt)
        await release.wait()
        await send(eio_sid, pkt)

    b.sio._send_eio_packet = held  # type: ignore[method-assign]
    for i in range(50):
        await a.sio.emit("m", i, room="r")
    # Every send started though none has finished (awaiting each one would stop at the first).
    await until(lambda: len(started) == 50)
    release.set()
    assert [await there.next() for _ in range(50)] == [("m", i) for i in range(50)]


async def test_enter_and_leave_room_of_a_sid_on_another_process(cluster: Cluster):
    a, b, c = await cluster(3)
    client = await connect(cluster, a)
    await b.sio.enter_room(client.sid, "joined-from-b")
    await asyncio.sleep(0.3)  # the request crosses to a, which announces the room
    await c.sio.emit("news", 1, room="joined-from-b")
    assert await client.next() == ("news", 1)
    await b.sio.leave_room(client.sid, "joined-from-b")
    await asyncio.sleep(0.3)
    await c.sio.emit("news", 2, room="joined-from-b")
    await client.nothing()


async def test_disconnect_of_a_sid_on_another_process(cluster: Cluster):
    a, b = await cluster(2)
    client = await connect(cluster, a, "r")
    gone = asyncio.Event()
    client.sio.on("disconnect", lambda *args: gone.set())
    await b.sio.disconnect(client.sid)
    await asyncio.wait_for(gone.wait(), 5)
    assert not a.manager.is_connected(client.sid, "/")


async def test_a_room_on_many_processes_is_broadcast_once(cluster: Cluster):
    nodes = await cluster(4, broadcast_over=2)
    clients = [await connect(cluster, n, "everyone") for n in nodes[:3]]
    sender = nodes[3]
    before = counts(nodes)
    await sender.sio.emit("all", 1, room="everyone")
    for client in clients:
        assert await client.next() == ("all", 1)
    assert sender.manager.published == 1  # three hosts > 2: one broadcast
    await asyncio.sleep(0.2)
    assert [x - y for x, y in zip(counts(nodes), before, strict=True)] == [1, 1, 1, 1]


async def test_a_dead_process_leaves_the_registry_within_seconds(cluster: Cluster):
    a, _survivor = await cluster(2)
    await connect(cluster, a, "r", "s")
    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    prefix = a.manager.registry.prefix
    room_key = f"{prefix}:r:{token('/', 'r')}"
    assert await r.smembers(room_key) == {a.manager.host_id}
    await a.stop(leave=False)  # as a crash: nothing is removed on the way out
    loop = asyncio.get_running_loop()
    started = loop.time()
    while await r.smembers(room_key):
        assert loop.time() - started < TTL * 3, "the dead host's rooms stayed"
        await asyncio.sleep(0.1)
    assert not await r.exists(f"{prefix}:o:{a.manager.host_id}")
    assert a.manager.host_id not in await r.zrange(f"{prefix}:hosts", 0, -1)
    await r.aclose()


async def test_rooms_are_told_again_when_redis_forgets_them(cluster: Cluster):
    a, b = await cluster(2)
    client = await connect(cluster, a, "r")
    r = aioredis.from_url(REDIS_URL)
    keys = [k async for k in r.scan_iter(f"{a.manager.registry.prefix}:*")]
    await r.delete(*keys)  # as a Redis restarted without its data
    await r.aclose()
    await asyncio.sleep(TTL)  # a's next heartbeat finds itself unknown and resyncs
    await b.sio.emit("back", 1, room="r")
    assert await client.next() == ("back", 1)


async def test_routing_comes_back_after_redis_goes_away_and_returns_empty(cluster: Cluster):
    relay = CuttableRelay(urlparse(REDIS_URL).port or 6379)
    await relay.start()
    a, b = await cluster(2, redis_url=f"redis://127.0.0.1:{relay.port}/0")
    client = await connect(cluster, a, "r")
    await relay.cut()
    await until(lambda: not a.manager._listening and not b.manager._listening)
    r = aioredis.from_url(REDIS_URL)
    keys = [k async for k in r.scan_iter(f"{a.manager.registry.prefix}:*")]
    await r.delete(*keys)  # as a Redis restarted without its data
    await r.aclose()
    await relay.start()
    await until(lambda: a.manager._listening and b.manager._listening, timeout=10)
    await asyncio.sleep(TTL / 2)  # the resync that follows a new subscription
    await b.sio.emit("back", 1, room="r")
    assert await client.next() == ("back", 1)
    await relay.cut()
    await relay.start()  # so the teardown's Redis calls find it


async def test_a_burst_of_emits_waits_for_connections_rather_than_failing(cluster: Cluster):
    a, b = await cluster(2)
    client = await connect(cluster, b, "busy")
    # More emits at once than the pool has connections: each waits its turn, none is dropped.
    await asyncio.gather(*(a.sio.emit("n", i, room="busy") for i in range(400)))
    got = sorted([(await client.next())[1] for _ in range(400)])
    assert got == list(range(400))
    unknown, _ = await a.manager.registry.beat()
    assert not unknown  # the heartbeat kept going through the burst
