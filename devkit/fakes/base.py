"""An in-process aiohttp server on a free loopback port."""

from __future__ import annotations

from aiohttp import web

from devkit.ports import free_port


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
