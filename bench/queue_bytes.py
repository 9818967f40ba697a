"""Queue updates to one console while a thousand chats queue.

One operator's console, set away so that every chat waits, speaks raw Engine.IO/Socket.IO over a
WebSocket and counts every byte of every frame it receives (the Socket.IO packets as sent, so
the figure is what a browser console would download, less WebSocket framing). N visitors from
one address (127.0.0.1) each open a chat with one message, `concurrency` at a time, and stay
connected. When the last ack is in, the console keeps counting until nothing has come for a
second (coalesced pushes go out a little after the change). `mode` "delta" is the console that
asks for `queue.delta`; "full" one that takes the whole queue on every change.

    .venv/bin/python -m bench.queue_bytes --chats 1000          # its own server on SQLite
    bash bench/run.sh --only queue_bytes                        # as part of the suite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.config import Profile

QUIET_SECONDS = 1.0


def _ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"


class RawSocket:
    """One Socket.IO namespace over one WebSocket, with the byte count of what it received."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, namespace: str) -> None:
        self.ws, self.ns = ws, namespace
        self.received = 0
        self.events: dict[str, int] = {}
        self.last_at = time.monotonic()
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, http: aiohttp.ClientSession, base_url: str, namespace: str, auth: dict[str, Any]
    ) -> RawSocket:
        ws = await http.ws_connect(_ws_url(base_url), autoping=True)
        sock = cls(ws, namespace)
        await ws.send_str(f"40{namespace}," + json.dumps(auth))
        await asyncio.wait_for(sock._connected, 30)
        return sock

    async def _read(self) -> None:
        prefix_event, prefix_ack = f"42{self.ns},", f"43{self.ns},"
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            data: str = frame.data
            self.received += len(data.encode())
            self.last_at = time.monotonic()
            if data == "2":
                await self.ws.send_str("3")  # Engine.IO ping → pong
            elif data.startswith(f"40{self.ns},") and not self._connected.done():
                self._connected.set_result(None)
            elif data.startswith(f"44{self.ns},") and not self._connected.done():
                self._connected.set_exception(RuntimeError(data))
            elif data.startswith(prefix_event):
                name = json.loads(data[len(prefix_event) :])[0]
                self.events[name] = self.events.get(name, 0) + 1
            elif data.startswith(prefix_ack):
                body = data[len(prefix_ack) :]
                split = body.index("[")
                found = self._acks.pop(int(body[:split]), None)
                if found is not None and not found.done():
                    found.set_result(json.loads(body[split:])[0])

    async def call(self, event: str, data: Any, timeout: float = 60) -> Any:
        self._next += 1
        done = asyncio.get_running_loop().create_future()
        self._acks[self._next] = done
        await self.ws.send_str(f"42{self.ns},{self._next}" + json.dumps([event, data]))
        return await asyncio.wait_for(done, timeout)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def measure(
    base_url: str, cookie: str, chats: int, *, concurrency: int = 50, mode: str = "delta"
) -> dict[str, Any]:
    """The bytes one console receives while `chats` chats join the queue (see the module doc)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar, headers={"Cookie": f"prilavok_op={cookie}"}) as op,
        # Every visitor keeps its WebSocket: no cap on the session's connections (default 100).
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as visitors_http,
    ):
        auth = {"queue": "delta"} if mode == "delta" else {}
        console = await RawSocket.open(op, base_url, "/operator", auth)
        ack = await console.call("status", {"status": "away"})
        assert ack["ok"], ack
        before, seen = console.received, dict(console.events)
        gate = asyncio.Semaphore(concurrency)
        opened: list[RawSocket] = []
        statuses: dict[str, int] = {}

        async def one(i: int) -> None:
            async with gate:
                page = {"url": f"http://shop.test/p/{i}", "title": f"Товар {i}", "locale": "ru"}
                v = await RawSocket.open(visitors_http, base_url, "/visitor", page)
                opened.append(v)
                got = await v.call("message", {"client_id": uuid.uuid4().hex, "text": "Есть?"})
                status = got["conversation"]["status"] if got.get("ok") else "error"
                statuses[status] = statuses.get(status, 0) + 1

        began = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(chats)))
        acked = time.monotonic() - began
        # Polling a counter the reader task bumps: simpler than an event per frame.
        while time.monotonic() - console.last_at < QUIET_SECONDS:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        received = console.received - before
        events = {k: n - seen.get(k, 0) for k, n in console.events.items() if n > seen.get(k, 0)}
        for v in opened:
            await v.close()
        await console.close()
    return {
        "chats": chats,
        "mode": mode,
        "statuses": statuses,
        "console_bytes": received,
        "console_bytes_per_chat": round(received / chats, 1) if chats else None,
        "console_events": events,
        "seconds_to_last_ack": round(acked, 2),
    }


async def queue_bytes(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    """The suite's scenario: `profile.queue_chats` chats against a fresh server."""
    # Imported here: they need psutil (the bench extra), and the tests import `measure` alone.
    from bench.meter import CpuMeter
    from bench.targets import running

    async with running(target, run_dir, profile.scenario_timeout, 1, 4) as srv:
        cookie = srv.cookies[0]
        assert cookie is not None
        cpu = CpuMeter(srv.procs()).start()
        found = await measure(srv.operator_url, cookie, profile.queue_chats)
        found["server_cpu_pct"] = cpu.stop()
        found["server_cpu_seconds"] = round(cpu.seconds, 2)
    return {"scenario": "queue_bytes", "target": target, **found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--mode", choices=("delta", "full"), default="delta")
    parser.add_argument("--target", default="prilavok-sqlite")
    args = parser.parse_args()

    async def run() -> dict[str, Any]:
        from bench.meter import CpuMeter
        from bench.targets import running

        run_dir = Path(tempfile.mkdtemp(prefix="prilavok-bench-queue-"))
        async with running(args.target, run_dir, 1800, 1, 4) as srv:
            cookie = srv.cookies[0]
            assert cookie is not None
            cpu = CpuMeter(srv.procs()).start()
            found = await measure(srv.operator_url, cookie, args.chats, mode=args.mode)
            found["server_cpu_pct"] = cpu.stop()
            found["server_cpu_seconds"] = round(cpu.seconds, 2)
        return {"scenario": "queue_bytes", "target": args.target, **found}

    print(json.dumps(asyncio.run(run()), ensure_ascii=False))


if __name__ == "__main__":
    main()
