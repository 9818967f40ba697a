"""Idle density: widget connections held by one server process.

Connects a small first batch, reads the server's RSS, connects the rest and reads it again, so
RSS per connection is the growth over the second batch alone (start-up and caches excluded).
Then watches the server's CPU for `idle_seconds` while the connections just sit (pings included
when the window is at least Prilavok's 25-second ping interval).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.config import Profile
from bench.loadgen import LoadGenerator
from bench.meter import CpuMeter, rss_bytes
from bench.targets import running

SETTLE_SECONDS = 2


async def idle_density(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    n = profile.idle_connections
    first = max(profile.workers, n // 20)
    gen = LoadGenerator(profile.workers, profile.connect_concurrency, profile.scenario_timeout)
    async with running(target, run_dir, profile.scenario_timeout, 0, 1) as srv:
        try:
            await gen.start(srv.visitor_url, srv.operator_url, [])
            loop = asyncio.get_running_loop()
            first_connected, _ = await gen.visitors(first)
            await asyncio.sleep(SETTLE_SECONDS)
            rss_first = rss_bytes(srv.procs())
            began = loop.time()
            connected, errors = await gen.visitors(n - first, profile.scenario_timeout)
            connect_seconds = loop.time() - began
            await asyncio.sleep(SETTLE_SECONDS)
            rss_all = rss_bytes(srv.procs())
            server_cpu, gen_cpu = CpuMeter(srv.procs()).start(), CpuMeter(gen.procs()).start()
            await asyncio.sleep(profile.idle_seconds)
            idle_cpu, idle_gen_cpu = server_cpu.stop(), gen_cpu.stop()
            rss_end = rss_bytes(srv.procs())
        finally:
            await gen.close()
    added = connected - first_connected
    return {
        "scenario": "idle_density",
        "target": target,
        "connections": connected,
        "connect_errors": errors,
        "connects_per_second": round(added / connect_seconds, 1) if connect_seconds else None,
        "rss_mib": round(rss_end / 2**20, 1),
        "rss_per_connection_kib": round((rss_all - rss_first) / added / 1024, 1) if added else None,
        "idle_seconds": profile.idle_seconds,
        "server_cpu_pct": idle_cpu,
        "generator_cpu_pct": idle_gen_cpu,
    }
