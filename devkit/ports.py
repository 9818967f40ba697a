"""Free loopback ports for servers that a test or a benchmark starts.

Ports come from below Linux's ephemeral range (32768-60999): a port the kernel hands out for
port 0 can be taken by any outgoing connection (to PostgreSQL, say) before the server binds it.
Under pytest-xdist each worker draws from its own slice of the range, so two workers never pick
the same port between checking it and binding it; within a process, a port handed out recently
is not handed out again before its server has had time to bind it.
"""

from __future__ import annotations

import os
import random
import socket
from collections import deque

PORTS = range(20000, 32000)
_recent: deque[int] = deque(maxlen=256)


def worker_slice(worker: str, count: int, ports: range = PORTS) -> range:
    """The slice of xdist worker `worker` ("gw0", "gw1"...) of `count`; all ports outside xdist."""
    if not worker.startswith("gw") or count < 2:
        return ports
    index = int(worker[2:])
    size = len(ports) // count
    return range(ports.start + index * size, ports.start + (index + 1) * size)


def _my_ports() -> range:
    # Set by pytest-xdist in each worker process (and inherited by what the worker starts).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return worker_slice(worker, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


def free_port() -> int:
    ports = _my_ports()
    for _ in range(200):
        port = random.choice(ports)
        if port in _recent:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _recent.append(port)
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
