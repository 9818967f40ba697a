"""A python-socketio client manager that sends each cross-process message only to the
processes hosting its room.

python-socketio's `AsyncRedisManager` publishes every emit on one channel that every process
receives and decodes, so each process pays for every message of the system. This manager keeps
the same cross-process protocol (`AsyncPubSubManager`: emits, acks, remote `enter_room`,
`leave_room` and disconnects) and changes only where a message goes:

- each process listens on a channel of its own and on a broadcast channel;
- `RoomRegistry` (Redis) knows which processes host a room. An emit to a room is published by a
  Lua script that reads the room's hosts as it publishes (so never from a stale list) to each
  of their channels, or once on the broadcast channel when more than `broadcast_over` host it
  (or no room is named);
- a room with members here goes to Redis only if other processes host it too: that is read
  once, cached, and forgotten when the registry announces a change on this process's channel,
  so a visitor's tabs on the visitor's process cost no Redis at all;
- a sid names its process (`<host>~<id>`), so an ack, a disconnect or a room change for a sid of
  another process goes straight to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import engineio.packet
import redis.asyncio as aioredis
import socketio.packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from prilavok.consult.chat.grouping import Grouper
from prilavok.packet_binary import has_binary
from prilavok.room_registry import INVALIDATE, RoomRegistry, token

log = logging.getLogger(__name__)

Room = tuple[str, Any]  # (namespace, room)
SID = re.compile(r"^([0-9a-f]{12})~")
REDIS_SECONDS = 5.0  # a registry call that takes longer is given up (and redone by a resync)
CACHE_ROOMS = 100_000  # cached rooms past this are dropped all at once (and read again)
PACKET_CONNECTIONS = 64  # to Redis, for packets (and the listener)
CONTROL_CONNECTIONS = 4  # to Redis, for heartbeats and room changes
PUBLISH_BATCH = 128  # packets routed by one script call at most
Packet = tuple[list[str], set[str], str]  # room tokens, extra hosts, payload


def _client(url: str, size: int, options: dict[str, Any]) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=size, timeout=REDIS_SECONDS, **options
    )
    return aioredis.Redis(connection_pool=pool)


class RoutedRedisManager(AsyncPubSubManager):  # type: ignore[misc]
    name = "prilavok-routed-redis"

    def __init__(
        self,
        url: str,
        channel: str = "prilavok",
        *,
        broadcast_over: int = 8,
        host_ttl: float = 6.0,
        logger: logging.Logger | None = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(channel=channel, logger=logger)
        self.host_id = secrets.token_hex(6)
        options = {"socket_connect_timeout": REDIS_SECONDS, **(redis_options or {})}
        # Blocking pools: under a burst an emit waits for a free connection (up to
        # REDIS_SECONDS) instead of failing at once with "Too many connections".
        self.redis = _client(url, PACKET_CONNECTIONS, options)
        self.control = _client(url, CONTROL_CONNECTIONS, options)
        self.registry = RoomRegistry(
            self.redis, channel, self.host_id, host_ttl, control=self.control
        )
        self.broadcast_over = broadcast_over
        self.beat_every = host_ttl / 4
        # Messages this process received from Redis and published to it; `on_receive` is a hook
        # for a metrics counter.
        self.received = 0
        self.published = 0
        self.on_receive: Callable[[], None] | None = None
        # Sends started for emits from other processes (kept so that they are not collected).
        self._sending: set[asyncio.Task[Any]] = set()
        # For rooms hosted here: token -> whether other processes host it too.
        self._remote: dict[str, bool] = {}
        self._fills: dict[str, asyncio.Future[bool]] = {}
        self._spoiled: set[str] = set()  # reads in flight that a change overtook
        self._dirty: dict[Room, asyncio.Future[None] | None] = {}
        self._writing: dict[Room, asyncio.Future[None] | None] = {}
        self._resync = True
        self._listening = False
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Packets emitted in one turn of the loop (a group of stored messages relayed at once)
        # go to Redis in one script call, in order, one call at a time: one round trip and one
        # wake-up of each side for the lot instead of one each.
        self._packets: Grouper[Packet, int] = Grouper(self._route_many, PUBLISH_BATCH)

    def initialize(self) -> None:
        super().initialize()  # starts the listener
        self._tasks = [
            asyncio.ensure_future(self._write_loop()),
            asyncio.ensure_future(self._beat_loop()),
        ]

    # ---- sids name their process ----

    async def pre_connect(self, eio_sid: str, namespace: str) -> str | None:
        # As BaseManager.pre_connect, with the host in front of the sid.
        if self.sid_from_eio_sid(eio_sid, namespace) is not None:
            return None  # already connected
        sid = f"{self.host_id}~{self.server.eio.generate_id()}"
        self.basic_enter_room(sid, namespace, None, eio_sid=eio_sid)
        self.basic_enter_room(sid, namespace, sid, eio_sid=eio_sid)
        self.pending_connect.setdefault(namespace, []).append(sid)
        return sid

    @staticmethod
    def _sid_host(room: Any) -> str | None:
        match = SID.match(room) if isinstance(room, str) else None
        return match.group(1) if match else None

    # ---- this process's rooms, mirrored into the registry ----

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        new = room is not None and room != sid and room not in self.rooms.get(namespace, {})
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if new:
            self._mark((namespace, room))

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        had = room is not None and room != sid and room in self.rooms.get(namespace, {})
        super().basic_leave_room(sid, namespace, room)
        if had and room not in self.rooms.get(namespace, {}):
            self._mark((namespace, room))
            self._remote.pop(token(namespace, room), None)

    def _mark(self, room: Room) -> None:
        self._dirty.setdefault(room, None)
        self._wake.set()

    async def enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        # The room is announced before the join returns: an emit from another process right
        # after it finds this one. Not while Redis is away: a join must not hang on it.
        if not self._listening:
            return
        for pending in (self._dirty, self._writing):
            if (namespace, room) in pending:
                waiter = pending[(namespace, room)]
                if waiter is None:
                    waiter = pending[(namespace, room)] = asyncio.get_running_loop().create_future()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(waiter), REDIS_SECONDS)
                return

    def _local_tokens(self) -> set[str]:
        return {
            token(ns, room)
            for ns, rooms in self.rooms.items()
            for room in rooms
            if room is not None and not self.is_sid_room(ns, room)
        }

    async def _write_loop(self) -> None:
        """Applies room changes to the registry in the order they happened, a batch a trip."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._writing, self._dirty = self._dirty, {}
            try:
                if self._resync:
                    self._resync = False
                    await asyncio.wait_for(
                        self.registry.resync(self._local_tokens()), REDIS_SECONDS * 4
                    )
                else:
                    changes = [
                        (token(ns, room), room in self.rooms.get(ns, {}))
                        for ns, room in self._writing
                    ]
                    await asyncio.wait_for(self.registry.apply(changes), REDIS_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room registry not updated (%s); will resync", exc)
                self._resync = True
            finally:
                for waiter in self._writing.values():
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                self._writing = {}

    async def _beat_loop(self) -> None:
        while True:
            try:
                unknown, dead = await asyncio.wait_for(self.registry.beat(), REDIS_SECONDS)
                if unknown or self._resync:
                    # Redis lost our rooms (restarted, or we were taken for dead): tell it again.
                    self._resync = True
                    self._wake.set()
                for host in dead:
                    if host != self.host_id:
                        log.info("process %s is gone: removing its rooms", host)
                        await asyncio.wait_for(self.registry.reap(host), REDIS_SECONDS * 4)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room registry heartbeat failed: %s", exc)
                self._resync = True
            await asyncio.sleep(self.beat_every)

    async def close(self, *, leave: bool = True) -> None:
        """Stops the background work and (unless `leave` is false, as in a crash) removes this
        process's rooms from the registry at once rather than after its time to live."""
        listener = getattr(self, "thread", None)
        for task in [*self._tasks, *([listener] if listener else [])]:
            task.cancel()
        if leave:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.registry.reap(self.host_id), REDIS_SECONDS)
        for client in (self.redis, self.control):
            with contextlib.suppress(Exception):
                await client.aclose()
            with contextlib.suppress(Exception):
                await client.connection_pool.disconnect()

    # ---- where a message goes ----

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """`AsyncPubSubManager.emit` for the common case — no ack asked, no bytes —, doing less:
        nothing is built for local delivery when no socket here is to receive it (a visitor's
        message to its own room, sent from its only tab), and whether the payload has bytes is
        asked of orjson. Acks and bytes take the library's own way."""
        room = to or room
        args = list(data) if isinstance(data, tuple) else [data]
        if callback is not None or kwargs.get("ignore_queue") or has_binary(args):
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        namespace = namespace or "/"
        if self._delivers_here(namespace, room, skip_sid):
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, ignore_queue=True
            )
        await self._publish(
            {
                "method": "emit",
                "event": event,
                "data": args,
                "binary": False,
                "namespace": namespace,
                "room": room,
                "skip_sid": skip_sid,
                "callback": None,
                "host_id": self.host_id,
            }
        )

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """An emit from another process, handed to the local sockets' send queues at once.

        The library awaits each emit's sends before it reads the next message: two turns of the
        loop a message, and a process busy with its own visitors fell behind (delivery p99 of
        seconds, acks fast). Here the recipients are looked up and the packet built now, in
        order with the room changes that follow it on the channel, and the sends run as tasks
        started in order (the sockets' queues keep it). Acks and bytes take the library's way."""
        if message.get("callback") is not None or message.get("binary"):
            await super()._handle_emit(message)
            return
        namespace = message.get("namespace") or "/"
        skip = message.get("skip_sid")
        skip = skip if isinstance(skip, list) else [skip]
        targets = [
            eio_sid
            for sid, eio_sid in self.get_participants(namespace, message.get("room"))
            if sid not in skip
        ]
        if not targets:
            return
        args = message["data"]
        args = [] if args == [None] else args  # emit(event) with no data, as the library sends it
        # The sender found no bytes (else `binary`, above): not looked for again.
        sio_packet = self.server.packet_class(
            socketio.packet.EVENT, [message["event"], *args], namespace, binary=False
        )
        packet = engineio.packet.Packet(engineio.packet.MESSAGE, sio_packet.encode())
        for eio_sid in targets:
            # The manager's own way to the server's sockets (python-socketio's managers use it).
            task = asyncio.create_task(self.server._send_eio_packet(eio_sid, packet))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _delivers_here(self, namespace: str, room: Any, skip_sid: Any) -> bool:
        """Whether a socket here is in the room (None: the namespace) and not skipped."""
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        here = self.rooms.get(namespace, {})
        for r in room if isinstance(room, list | tuple) else [room]:
            members = here.get(r)
            if members and any(sid not in skip for sid in members):
                return True
        return False

    async def _has_remote_hosts(self, tok: str) -> bool:
        """Whether a room hosted here is hosted elsewhere too; cached, and forgotten when the
        registry says the room's hosts changed."""
        cached = self._remote.get(tok)
        if cached is not None:
            return cached
        if tok in self._fills:
            return await asyncio.shield(self._fills[tok])
        fill = self._fills[tok] = asyncio.get_running_loop().create_future()
        try:
            remote = bool(await self.registry.hosts(tok) - {self.host_id})
        except BaseException as exc:
            fill.set_exception(exc)
            fill.exception()  # the error is raised here; waiters, if any, see it too
            raise
        finally:
            del self._fills[tok]
        # Cached only while listening: a change is announced on the channel, and unheard if not.
        if self._listening and tok not in self._spoiled:
            if len(self._remote) >= CACHE_ROOMS:
                self._remote.clear()
            self._remote[tok] = remote
        self._spoiled.discard(tok)
        fill.set_result(remote)
        return remote

    def _forget(self, tok: str) -> None:
        self._remote.pop(tok, None)
        if tok in self._fills:
            self._spoiled.add(tok)

    def _forget_all(self) -> None:
        self._remote.clear()
        self._spoiled.update(self._fills)

    async def _publish(self, data: dict[str, Any]) -> None:
        try:
            await self._send(data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("cannot publish to Redis: %s", exc)

    async def _send(self, data: dict[str, Any]) -> None:
        method = data.get("method")
        if method == "callback":  # the answer to an ack goes back to the asking process
            await self._publish_to(data["host_id"], data)
            return
        if method in ("disconnect", "enter_room", "leave_room"):
            host = self._sid_host(data.get("sid"))
            if host != self.host_id:
                await self._publish_to(host, data)
            return
        room = data.get("room")
        if room is None:  # the whole namespace
            await self._publish_to(None, data)
            return
        namespace = data.get("namespace") or "/"
        sid_hosts: set[str] = set()
        tokens: list[str] = []
        needed = False
        for r in room if isinstance(room, list | tuple) else [room]:
            host = self._sid_host(r)
            if host is not None:
                if host != self.host_id:
                    sid_hosts.add(host)
                    needed = True
                continue
            tok = token(namespace, r)
            tokens.append(tok)
            # A room with members here: other processes only if the registry says so.
            if r not in self.rooms.get(namespace, {}) or await self._has_remote_hosts(tok):
                needed = True
        if needed:
            # Awaited first: `+=` over an await would read the count before it and lose the
            # publishes of the emits that share the call.
            sent = await self._packets.submit((tokens, sid_hosts, self.json.dumps(data)))
            self.published += sent

    async def _route_many(self, packets: list[Packet]) -> list[int]:
        return await self.registry.publish_many(packets, self.broadcast_over)

    async def _publish_to(self, host: str | None, data: dict[str, Any]) -> None:
        """To one process's channel, or to every process when `host` is None."""
        channel = self.registry.broadcast_channel if host is None else self.registry.channel(host)
        await self.redis.publish(channel, self.json.dumps(data))
        self.published += 1

    async def _listen(self) -> AsyncIterator[bytes]:
        retry = 1.0
        channels = (self.registry.channel(self.host_id), self.registry.broadcast_channel)
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                # Changes may have gone by while nobody listened: read the registry afresh,
                # and tell it our rooms again (Redis may have restarted empty).
                self._forget_all()
                self._resync = True
                self._wake.set()
                self._listening = True
                retry = 1.0
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    self.received += 1
                    if self.on_receive is not None:
                        self.on_receive()
                    data = message["data"]
                    if data[:1] == INVALIDATE.encode():
                        self._forget(data[1:].decode())
                    else:
                        yield data
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("cannot receive from Redis (%s); retrying in %.0f s", exc, retry)
                self._listening = False
                self._forget_all()
                await asyncio.sleep(retry)
                retry = min(retry * 2, 30.0)
            finally:
                self._listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
