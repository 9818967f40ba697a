"""CPU and memory of process trees, read with psutil: the server's and the load generator's."""

from __future__ import annotations

import time
from collections.abc import Iterable

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants (a server started under `timeout` is its child)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu_seconds(procs: Iterable[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_bytes(procs: Iterable[psutil.Process]) -> int:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class CpuMeter:
    """CPU used by a set of processes between start() and stop(), in percent of one core."""

    def __init__(self, procs: list[psutil.Process]) -> None:
        self.procs = procs
        self._cpu = 0.0
        self._at = 0.0
        self.seconds = 0.0  # CPU seconds used, once stopped

    def start(self) -> CpuMeter:
        self._cpu, self._at = _cpu_seconds(self.procs), time.monotonic()
        return self

    def stop(self) -> float:
        wall = time.monotonic() - self._at
        self.seconds = used = _cpu_seconds(self.procs) - self._cpu
        return round(100.0 * used / wall, 1) if wall > 0 else 0.0
