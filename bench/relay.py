"""Relay: visitors send messages to their operators at fixed rates, stepping upward.

Each step sends at one rate for `step_seconds`, then waits `grace_seconds` for stragglers.
Latency is from the visitor's send to the operator's receipt; a message that no operator
received by then counts as lost. Stepping stops after the first step whose p99 passes the limit
(or that lost messages), or at the last rate of the profile.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.config import Profile
from bench.loadgen import LoadGenerator
from bench.meter import CpuMeter
from bench.stats import summary
from bench.targets import running


def _merge(step: int, rate: int, got: list[dict[str, Any]]) -> dict[str, Any]:
    sent = sum(g["sent"] for g in got)
    received = sum(g["received"] for g in got)
    seconds = max((g["send_seconds"] for g in got), default=0) or 1
    latencies = [x for g in got for x in g["latencies_ms"]]
    acks = summary([x for g in got for x in g["ack_latencies_ms"]])
    return {
        "step": step,
        "rate": rate,
        "achieved_rate": round(sent / seconds, 1),
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "ack_errors": sum(g["ack_errors"] for g in got),
        **summary(latencies),
        "ack_p50_ms": acks["p50_ms"],
        "ack_p99_ms": acks["p99_ms"],
    }


def _best(steps: list[dict[str, Any]], limit: float) -> int | None:
    """The highest rate whose p99 stayed within the limit with nothing lost."""
    return max(
        (
            s["rate"]
            for s in steps
            if s["p99_ms"] is not None and s["p99_ms"] <= limit and not s["lost"]
        ),
        default=None,
    )


async def relay(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    capacity = math.ceil(profile.visitors / max(1, profile.operators)) + 1
    gen = LoadGenerator(profile.workers, profile.connect_concurrency, profile.scenario_timeout)
    steps: list[dict[str, Any]] = []
    async with running(
        target, run_dir, profile.scenario_timeout, profile.operators, capacity
    ) as srv:
        try:
            await gen.start(srv.visitor_url, srv.operator_url, srv.cookies)
            operators = await gen.operators()
            visitors, errors = await gen.visitors(profile.visitors)
            # Every visitor's first message opens its conversation; not measured.
            warm = await gen.warm(min(profile.rates[0], 200))
            for i, rate in enumerate(profile.rates, 1):
                server_cpu = CpuMeter(srv.procs()).start()
                gen_cpu = CpuMeter(gen.procs()).start()
                got = await gen.step(i, rate, profile.step_seconds, profile.grace_seconds)
                step = _merge(i, rate, got)
                step["server_cpu_pct"], step["generator_cpu_pct"] = (
                    server_cpu.stop(),
                    gen_cpu.stop(),
                )
                steps.append(step)
                too_slow = step["p99_ms"] is None or step["p99_ms"] > profile.p99_limit_ms
                if too_slow or step["lost"]:
                    break
        finally:
            await gen.close()
    return {
        "scenario": "relay",
        "target": target,
        "visitors": visitors,
        "operators": operators,
        "connect_errors": errors,
        "warm_up": warm,
        "step_seconds": profile.step_seconds,
        "best_rate_p99_within_limit": _best(steps, profile.p99_limit_ms),
        "p99_limit_ms": profile.p99_limit_ms,
        "steps": steps,
    }
