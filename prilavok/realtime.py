"""The Socket.IO server: one per process, rooms shared through Redis when it is configured."""

from __future__ import annotations

from typing import Any

import socketio


def create_server(
    redis_url: str, *, max_payload: int, channel: str = "prilavok"
) -> socketio.AsyncServer:
    manager = socketio.AsyncRedisManager(redis_url, channel=channel) if redis_url else None
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # The widget runs on the shop's origin; the console's cookie is SameSite=Strict, so a
        # foreign page cannot open an operator socket even though any origin may connect.
        cors_allowed_origins="*",
        max_http_buffer_size=max_payload,
        ping_interval=25,
        ping_timeout=20,
    )


class SocketNotifier:
    """consult.notifier.Notifier on top of the Socket.IO server's rooms."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def emit(self, event: str, data: Any, *, room: str, namespace: str) -> None:
        await self.sio.emit(event, data, room=room, namespace=namespace)
