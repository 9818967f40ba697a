"""Server processes under test, each on its own loopback port, each stopping by itself.

Every server runs under coreutils `timeout`, so a benchmark that is killed leaves nothing behind
for long; `procs()` gives the server's own processes (the children of `timeout`) to measure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
from prilavok.consult.throttle import DEFAULT_RULES

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    name: str
    argv: list[str]
    log: Path
    max_seconds: float
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        command = ["timeout", "-k", "5", str(int(self.max_seconds)), *argv]
        env = {**os.environ, **self.env}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 - a quick fork, then we poll
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-1500:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if loop.time() > deadline:
                    raise TimeoutError(f"{self.name} did not start: {self.log.read_text()[-1500:]}")
                await asyncio.sleep(0.2)

    def procs(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # `timeout` passes SIGTERM on to the server
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            for p in self.procs():
                p.kill()
            self.proc.kill()
            self.proc.wait(5)


def prilavok(
    name: str, log: Path, max_seconds: float, *, database_url: str, data_dir: Path, **env: str
) -> ServerProcess:
    """`prilavok serve`, configured as a deployment would be, through PRILAVOK_* variables."""
    server = ServerProcess(name, [sys.executable, "-m", "prilavok.cli", "serve"], log, max_seconds)
    server.env = {
        "PRILAVOK_PORT": str(server.port),
        "PRILAVOK_DATABASE_URL": database_url,
        "PRILAVOK_DATA_DIR": str(data_dir),
        "PRILAVOK_SECRET_KEY": "bench-secret",
        "PRILAVOK_AUTO_MIGRATE": "false",
        # Thousands of clients from one address, at machine speed: the limits would refuse them.
        **{f"PRILAVOK_LIMIT_{name.upper()}": "" for name in DEFAULT_RULES},
        **{f"PRILAVOK_{k.upper()}": v for k, v in env.items()},
    }
    return server


def bare_python(log: Path, max_seconds: float) -> ServerProcess:
    argv = [sys.executable, "-m", "bench.bare_server", "--port", "{port}"]
    return ServerProcess(
        "bare-python", [*argv, "--max-seconds", str(max_seconds)], log, max_seconds
    )


def bare_node(log: Path, max_seconds: float) -> ServerProcess:
    argv = ["node", str(NODE_DIR / "server.js"), "{port}", str(int(max_seconds))]
    return ServerProcess("bare-node", argv, log, max_seconds)
