"""What the run ran on: the figures mean little without it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import psutil

from bench.servers import NODE_DIR


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _node() -> str:
    try:
        return subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "missing"


def _npm_version(package: str) -> str:
    try:
        meta = json.loads((NODE_DIR / "node_modules" / package / "package.json").read_text())
        return str(meta["version"])
    except (OSError, ValueError, KeyError):
        return "missing"


def describe() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": _node(),
        "python_socketio": version("python-socketio"),
        "npm_socket_io": _npm_version("socket.io"),
        "npm_socket_io_client": _npm_version("socket.io-client"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
