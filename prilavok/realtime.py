"""The Socket.IO server: one per process, rooms shared through Redis when it is configured."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import socketio
from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from prilavok.consult.kernel.namespace import MALFORMED
from prilavok.packet_binary import has_binary
from prilavok.room_manager import RoutedRedisManager

SOCKETIO_PATH = "/socket.io/"
log = logging.getLogger(__name__)


class FastJson:
    """orjson behind the two functions of the `json` module that Socket.IO calls.

    Every packet in and out goes through these, and orjson is several times faster. What orjson
    refuses (a Decimal, a non-string key) goes to the standard module. One difference stays: an
    integer beyond 64 bits arrives as a float, which no field of the protocol accepts as an id.
    """

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj).decode()
        except TypeError:
            return json.dumps(obj, **kwargs)

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        # What orjson refuses (NaN, lone surrogates, nesting past 1024) no field accepts
        # either, so it is not read again by the standard module, which would recurse on deep
        # nesting. Its error is a ValueError, what python-socketio expects of bad input.
        return orjson.loads(data)


class CheckedPacket(socketio.packet.Packet):
    """Socket.IO packets whose payload cannot be read still reach the namespace, as the event
    MALFORMED, so that the sender gets an ack or `error` event with `invalid_payload` (and the
    log one line) instead of a silent drop and a traceback. Whether a packet to send carries
    bytes is asked of orjson first (prilavok.packet_binary)."""

    def __init__(
        self,
        packet_type: int = socketio.packet.EVENT,
        data: Any = None,
        namespace: str | None = None,
        id: int | None = None,
        binary: bool | None = None,
        encoded_packet: Any = None,
    ) -> None:
        if binary is None and data is not None:
            binary = has_binary(data)
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments: int = super().decode(encoded_packet)
        except (ValueError, RecursionError) as exc:
            if self.packet_type != socketio.packet.EVENT or self.namespace is None:
                raise
            self.data = [MALFORMED, f"the payload is not JSON ({str(exc)[:80]})"]
            return 0
        if self.packet_type == socketio.packet.EVENT and not (
            isinstance(self.data, list) and self.data and isinstance(self.data[0], str)
        ):
            self.data = [MALFORMED, "an event is [name, payload]"]
        return attachments


class CountingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's own Redis manager (every process receives every message), counting
    what it receives, to compare with `RoutedRedisManager`."""

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
        self.received = 0
        self.on_receive: Callable[[], None] | None = None

    async def _listen(self) -> AsyncIterator[bytes]:
        async for message in super()._listen():
            self.received += 1
            if self.on_receive is not None:
                self.on_receive()
            yield message


def create_manager(
    redis_url: str, channel: str, *, routing: str = "routed", host_ttl: float = 6.0
) -> socketio.AsyncManager | None:
    """None (one process, rooms in memory) without Redis; else rooms shared through Redis,
    routed to the processes that host them, or (`routing="broadcast"`) python-socketio's
    stock manager, which sends every message to every process."""
    if not redis_url:
        return None
    if routing == "broadcast":
        return CountingRedisManager(redis_url, channel)
    return RoutedRedisManager(redis_url, channel, host_ttl=host_ttl)


def count_received(sio: socketio.AsyncServer, count: Callable[[], None]) -> None:
    """Calls `count` for every message the server's manager receives from Redis."""
    if isinstance(sio.manager, RoutedRedisManager | CountingRedisManager):
        sio.manager.on_receive = count


def start_manager(sio: socketio.AsyncServer) -> None:
    """Starts the manager now rather than at the first connection (python-socketio's moment):
    a process with no client yet still emits (workers, other processes' requests) and must
    hear of room changes and beat its heart from the start."""
    if sio.manager is not None and not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()


async def close_manager(sio: socketio.AsyncServer) -> None:
    """A stopping process takes its rooms out of the registry at once, not after its TTL."""
    if isinstance(sio.manager, RoutedRedisManager):
        await sio.manager.close()


def create_server(
    redis_url: str,
    *,
    max_payload: int,
    channel: str = "prilavok",
    routing: str = "routed",
    host_ttl: float = 6.0,
) -> socketio.AsyncServer:
    manager = create_manager(redis_url, channel, routing=routing, host_ttl=host_ttl)
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # The widget runs on the shop's origin; the operator namespace checks Origin itself
        # (consult.edges.console_ns.same_origin), and its cookie is SameSite=Strict.
        cors_allowed_origins="*",
        max_http_buffer_size=max_payload,
        ping_interval=25,
        ping_timeout=20,
        json=FastJson,
        serializer=CheckedPacket,
    )


def attach(
    sio: socketio.AsyncServer,
    app: web.Application,
    admit: Callable[[web.Request], Awaitable[None]] | None = None,
) -> None:
    """`sio.attach(app)`, with WebSocket compression (permessage-deflate) declined; `admit` may
    refuse a request first (by raising, as the rate limit on new sockets does).

    Chat packets are small, so compressing each costs more CPU than it saves bytes, and each
    connection would keep a zlib context of a few hundred KiB. Node's socket.io declines it by
    default too. aiohttp compresses only when the client offers it, so the offer is dropped
    before the request reaches engine.io.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        if admit is not None:
            await admit(request)
        if "Sec-WebSocket-Extensions" in request.headers:
            headers = request.headers.copy()
            del headers["Sec-WebSocket-Extensions"]
            request = request.clone(headers=headers)
        try:
            response: web.StreamResponse = await sio.handle_request(request)
        except ValueError as exc:
            # engine.io decodes a WebSocket's packets outside its own error handling: a text
            # frame that is no engine.io packet ends the connection here (the client
            # reconnects), with one line in the log rather than a 500 and a traceback.
            log.warning("socket closed on a malformed engine.io packet: %s", str(exc)[:200])
            return web.Response(status=400)
        return response

    for method in ("GET", "POST", "OPTIONS"):
        app.router.add_route(method, SOCKETIO_PATH, handle)


class SocketNotifier:
    """consult.kernel.notifier.Notifier on top of the Socket.IO server's rooms."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def emit(
        self, event: str, data: Any, *, room: str, namespace: str, skip_sid: str | None = None
    ) -> None:
        await self.sio.emit(event, data, room=room, namespace=namespace, skip_sid=skip_sid)

    def may_reach(self, room: str, namespace: str) -> bool:
        # Through Redis another process may have members; alone, the local rooms are all.
        if isinstance(self.sio.manager, AsyncPubSubManager):
            return True
        return bool(self.sio.manager.rooms.get(namespace, {}).get(room))

    async def disconnect(self, sid: str, *, namespace: str) -> None:
        # With the Redis manager a socket of another process is closed by that process.
        await self.sio.disconnect(sid, namespace=namespace)
