"""Servers under test, each on its own loopback port, each stopping by itself.

The launcher is devkit's, the tests' own; here every server runs under coreutils `timeout` (so a
benchmark that is killed leaves nothing behind for long), and `procs()` gives the server's own
processes (the children of `timeout`) to measure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psutil

from devkit.processes import ROOT, ServerProcess
from prilavok.consult.kernel.throttle import DEFAULT_RULES

NODE_DIR = ROOT / "bench" / "node"


class MeasuredServer(ServerProcess):
    def procs(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def prilavok(
    name: str, log: Path, max_seconds: float, *, database_url: str, data_dir: Path, **env: str
) -> MeasuredServer:
    """`prilavok serve`, configured as a deployment would be, through PRILAVOK_* variables."""
    settings = {
        "PRILAVOK_DATABASE_URL": database_url,
        "PRILAVOK_DATA_DIR": str(data_dir),
        "PRILAVOK_SECRET_KEY": "bench-secret",
        "PRILAVOK_AUTO_MIGRATE": "false",
        # Thousands of clients from one address, at machine speed: the limits would refuse them.
        **{f"PRILAVOK_LIMIT_{rule.upper()}": "" for rule in DEFAULT_RULES},
        **{f"PRILAVOK_{k.upper()}": v for k, v in env.items()},
    }
    return MeasuredServer.prilavok(log, settings, name=name, max_seconds=max_seconds)


def bare_python(log: Path, max_seconds: float) -> MeasuredServer:
    argv = [sys.executable, "-m", "bench.bare_server", "--port", "{port}"]
    argv += ["--max-seconds", str(max_seconds)]
    return MeasuredServer(argv, log, name="bare-python", max_seconds=max_seconds)


def bare_node(log: Path, max_seconds: float) -> MeasuredServer:
    argv = ["node", str(NODE_DIR / "server.js"), "{port}", str(int(max_seconds))]
    return MeasuredServer(argv, log, name="bare-node", max_seconds=max_seconds)
