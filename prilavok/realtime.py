"""The Socket.IO server: one per process, rooms shared through Redis when it is configured."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio
from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

SOCKETIO_PATH = "/socket.io/"


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
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            # The standard module's reading of what orjson refuses (NaN, for one); an error
            # from it is what python-socketio expects of bad input.
            return json.loads(data, **kwargs)


def create_server(
    redis_url: str, *, max_payload: int, channel: str = "prilavok"
) -> socketio.AsyncServer:
    manager = socketio.AsyncRedisManager(redis_url, channel=channel) if redis_url else None
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # The widget runs on the shop's origin; the operator namespace checks Origin itself
        # (consult.console_ns.same_origin), and its cookie is SameSite=Strict.
        cors_allowed_origins="*",
        max_http_buffer_size=max_payload,
        ping_interval=25,
        ping_timeout=20,
        json=FastJson,
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
        response: web.StreamResponse = await sio.handle_request(request)
        return response

    for method in ("GET", "POST", "OPTIONS"):
        app.router.add_route(method, SOCKETIO_PATH, handle)


class SocketNotifier:
    """consult.notifier.Notifier on top of the Socket.IO server's rooms."""

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
