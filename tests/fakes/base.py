"""An in-process aiohttp server on a free loopback port."""

from __future__ import annotations

import random
import socket

from aiohttp import web

# Below Linux's ephemeral range (32768-60999): a port the kernel hands out for port 0 can be taken
# by any outgoing connection (to PostgreSQL, say) before the server binds it.
_PORTS = range(20000, 32000)


def free_port() -> int:
    for _ in range(200):
        port = random.choice(_PORTS)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


class FakeServer:
    def __init__(self) -> None:
        self.app = web.Application()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
