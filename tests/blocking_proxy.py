"""An HTTP reverse proxy in front of the real server that refuses WebSocket upgrades (403), as
some corporate proxies and antivirus products do; `allow_websocket` lets them through again."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import WSMsgType, web

from devkit.ports import free_port

HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}  # fmt: skip (bodies pass as they are, compressed or not: content-encoding stays)


class BlockingProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.allow_websocket = False
        self.refused = 0  # WebSocket upgrades answered 403
        self.relayed = 0  # WebSocket connections let through
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if not self.allow_websocket:
                self.refused += 1
                return web.Response(status=403, text="WebSockets are not allowed here")
            return await self._relay_websocket(request)
        assert self._http is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with self._http.request(
            request.method,
            self.target + request.rel_url.raw_path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as up:
            body = await up.read()
            out = web.Response(status=up.status, body=body)
            for k, v in up.headers.items():
                if k.lower() not in HOP:
                    out.headers.add(k, v)
            return out

    async def _relay_websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        self.relayed += 1
        down = web.WebSocketResponse()
        await down.prepare(request)
        cookie = request.headers.get("Cookie")
        async with self._http.ws_connect(
            self.target + request.rel_url.raw_path_qs,
            headers={"Cookie": cookie} if cookie else None,
        ) as up:

            async def pump(src, dst) -> None:  # type: ignore[no-untyped-def]
                async for msg in src:
                    if msg.type == WSMsgType.TEXT:
                        await dst.send_str(msg.data)
                    elif msg.type == WSMsgType.BINARY:
                        await dst.send_bytes(msg.data)
                    else:
                        break
                await dst.close()

            tasks = [asyncio.create_task(pump(down, up)), asyncio.create_task(pump(up, down))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                t.cancel()
                with contextlib.suppress(BaseException):
                    await t
        return down
