"""Real server processes on loopback ports, for multi-process tests and for the benchmarks.

Each server runs in a process group of its own, so `kill()` takes down everything it started (as
a crash would) and a signal meant for the test runner never reaches it. With `max_seconds` it
runs under coreutils `timeout`, which stops it by itself if whoever started it dies first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import aiohttp

from devkit.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """A server run from `argv` ("{port}" in it becomes the port), ready when /healthz is 200."""

    def __init__(
        self,
        argv: Sequence[str],
        log: Path,
        *,
        name: str = "server",
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self.name = name
        self.port = free_port() if port is None else port
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.env = dict(env or {})
        self.log = log
        self.max_seconds = max_seconds
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def prilavok(
        cls,
        log: Path,
        env: Mapping[str, str],
        *,
        name: str = "prilavok",
        max_seconds: float | None = 900,
    ) -> Self:
        """`prilavok serve`, configured as a deployment is: through PRILAVOK_* variables.

        Under `timeout` by default: a test run that dies (a killed pytest-xdist worker, say)
        leaves no server holding a port and a database for long."""
        server = cls([sys.executable, "-m", "prilavok.cli", "serve"], log, name=name)
        server.env = {**env, "PRILAVOK_PORT": str(server.port)}
        server.max_seconds = max_seconds
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        command = self.argv
        if self.max_seconds is not None:
            command = ["timeout", "-k", "5", str(int(self.max_seconds)), *command]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 - a quick fork, then we poll
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if loop.time() > deadline:
                    raise TimeoutError(f"{self.name} did not start: {self.log.read_text()[-2000:]}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown code runs, as in a crash."""
        if self.proc is None or self.proc.poll() is not None:
            return
        # The group is the server's own (start_new_session): its id is the leader's pid.
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (which `timeout` passes on), then SIGKILL after 15 seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
