"""The load generator: several Node worker processes (bench/node/loadgen.js) driven over stdio.

Node's socket.io-client is used rather than python-socketio's AsyncClient because it loads the
server harder for less CPU (see bench/README.md): on a 2-core machine every cycle the generator
spends is a cycle the server does not get, so the cheaper client is the fairer one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import psutil

from bench.servers import NODE_DIR

AUTH = {"url": "http://shop.bench/catalog", "title": "Каталог", "locale": "ru"}


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                await self.events.put(json.loads(line))
        await self.events.put({"event": "exited"})

    async def send(self, cmd: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()

    async def expect(self, event: str, timeout: float) -> dict[str, Any]:
        while True:
            got = await asyncio.wait_for(self.events.get(), timeout)
            if got.get("event") == event:
                return got
            if got.get("event") in ("exited", "deadline", "error"):
                raise RuntimeError(f"load generator worker: {got}")


class LoadGenerator:
    """W Node processes; visitors and operators are spread evenly over them."""

    def __init__(self, workers: int, connect_concurrency: int, deadline_seconds: float) -> None:
        self.count = workers
        self.connect_concurrency = connect_concurrency
        self.deadline = deadline_seconds
        self.workers: list[Worker] = []

    async def start(
        self,
        visitor_url: str | list[str],
        operator_url: str | list[str],
        cookies: list[str | None],
        *,
        spread: bool = False,
    ) -> None:
        """A URL: one server, or a list of servers. A list of visitor servers is taken one a
        worker in turn; with `spread`, every worker's visitors and operators take each server of
        their list in turn, as a load balancer spreads clients."""
        urls = [visitor_url] if isinstance(visitor_url, str) else visitor_url
        shares = split(len(cookies), self.count)
        offset = 0
        for i, share in enumerate(shares):
            cfg = {
                "worker": i,
                "visitorUrl": urls if spread else urls[i % len(urls)],
                "operatorUrl": operator_url,
                "cookies": cookies[offset : offset + share],
                "auth": AUTH,
                "deadlineSeconds": self.deadline,
                "connectConcurrency": self.connect_concurrency,
            }
            offset += share
            proc = await asyncio.create_subprocess_exec(
                "node",
                str(NODE_DIR / "loadgen.js"),
                json.dumps(cfg),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=64 * 1024 * 1024,  # a step's latencies come back on one line
            )
            self.workers.append(Worker(proc))
        await self._all("started", None, 30)

    def procs(self) -> list[psutil.Process]:
        found = []
        for w in self.workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                found.append(psutil.Process(w.proc.pid))
        return found

    async def _all(
        self, event: str, cmds: list[dict[str, Any]] | None, timeout: float
    ) -> list[dict[str, Any]]:
        if cmds is not None:
            for w, cmd in zip(self.workers, cmds, strict=True):
                await w.send(cmd)
        return list(await asyncio.gather(*(w.expect(event, timeout) for w in self.workers)))

    async def operators(self, timeout: float = 120) -> int:
        got = await self._all("operators", [{"cmd": "operators"}] * self.count, timeout)
        return sum(g["connected"] for g in got)

    async def visitors(self, count: int, timeout: float = 600) -> tuple[int, int]:
        cmds = [{"cmd": "visitors", "count": n} for n in split(count, self.count)]
        got = await self._all("visitors", cmds, timeout)
        return sum(g["connected"] for g in got), sum(g["errors"] for g in got)

    async def warm(self, rate: float, visitors: int, grace: float = 240) -> dict[str, Any]:
        """Every visitor's first message (opening its chat); waits for the acks up to `grace`."""
        cmds = [{"cmd": "warm", "rate": rate / self.count, "grace": grace}] * self.count
        got = await self._all("warm", cmds, visitors / rate + grace + 30)
        keys = ("sent", "acked", "ack_errors")
        totals: dict[str, Any] = {k: sum(g[k] for g in got) for k in keys}
        # New chats a second: how fast routing and assignment took the whole crowd.
        totals["chats_per_second"] = round(totals["acked"] / max(g["seconds"] for g in got), 1)
        return totals

    async def step(
        self, step: int, rate: float, seconds: float, grace: float
    ) -> list[dict[str, Any]]:
        cmd = {"cmd": "step", "step": step, "rate": rate / self.count}
        cmd |= {"seconds": seconds, "grace": grace}
        return await self._all("step", [cmd] * self.count, seconds + 3 * grace + 30)

    async def final(self, wait: float, grace: float) -> list[dict[str, Any]]:
        """Every step again, stragglers included, once the outstanding acks are back."""
        cmd = {"cmd": "final", "wait": wait, "grace": grace}
        return await self._all("final", [cmd] * self.count, wait + grace + 30)

    async def close(self) -> None:
        for w in self.workers:
            with contextlib.suppress(Exception):
                await w.send({"cmd": "quit"})
        for w in self.workers:
            try:
                await asyncio.wait_for(w.proc.wait(), 10)
            except TimeoutError:
                w.proc.kill()
                await w.proc.wait()
            w.reader.cancel()
        self.workers = []
