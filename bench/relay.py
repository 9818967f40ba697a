"""Relay: visitors send messages to their operators at fixed rates, stepping upward.

Each step sends at one rate for `step_seconds`, then waits `grace_seconds` for stragglers.
Latency is from the visitor's send to the operator's receipt; a message that no operator
received by then counts as lost. A step whose p99 passes the limit (or that lost messages) is
run once more at the same rate; stepping stops when that retry fails too, or after the last rate
of the profile. Then every outstanding ack is awaited (up to a minute) and the steps are counted
again: a message received after its step's grace is `late` and its latency counts; one never
received is `lost`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.config import Profile
from bench.loadgen import LoadGenerator
from bench.meter import CpuMeter
from bench.stats import summary
from bench.targets import Running, running

# After the last step, how long to wait for outstanding acks before counting what is lost.
DRAIN_SECONDS = 60


def _provisional(step: int, rate: int, got: list[dict[str, Any]]) -> dict[str, Any]:
    """A step as reported right after it: enough to decide whether to step up."""
    sent = sum(g["sent"] for g in got)
    received = sum(g["received"] for g in got)
    seconds = max((g["send_seconds"] for g in got), default=0) or 1
    return {
        "step": step,
        "rate": rate,
        "achieved_rate": round(sent / seconds, 1),
        "sent": sent,
        "received_in_grace": received,
        "lost": sent - received,
        **summary([x for g in got for x in g["latencies_ms"]]),
    }


def _settle(step: dict[str, Any], finals: list[dict[str, Any]]) -> None:
    """Replaces the provisional counts with the final ones: late receipts count, as latency."""
    mine = [f["steps"].get(str(step["step"]), {}) for f in finals]
    received = sum(m.get("received", 0) for m in mine)
    acks = summary([x for m in mine for x in m.get("ack_latencies_ms", [])])
    step |= summary([x for m in mine for x in m.get("latencies_ms", [])])
    step["received"] = received
    step["late"] = received - step["received_in_grace"]
    step["lost"] = step["sent"] - received
    step["ack_errors"] = sum(m.get("ack_errors", 0) for m in mine)
    step["ack_p50_ms"], step["ack_p99_ms"] = acks["p50_ms"], acks["p99_ms"]


def _per_message(cpu_seconds: float, step: dict[str, Any]) -> float | None:
    return round(cpu_seconds * 1000 / step["sent"], 3) if step["sent"] else None


def _best(steps: list[dict[str, Any]], limit: float) -> int | None:
    """The highest rate whose p99 stayed within the limit with nothing lost."""
    return max((s["rate"] for s in steps if _within(s, limit)), default=None)


def _within(step: dict[str, Any], limit: float) -> bool:
    return step["p99_ms"] is not None and step["p99_ms"] <= limit and not step["lost"]


async def _step(
    gen: LoadGenerator, srv: Running, profile: Profile, i: int, rate: int
) -> dict[str, Any]:
    redis_before = await srv.redis_received()
    server_cpu = CpuMeter(srv.procs()).start()
    gen_cpu = CpuMeter(gen.procs()).start()
    got = await gen.step(i, rate, profile.step_seconds, profile.grace_seconds)
    step = _provisional(i, rate, got)
    redis_after = await srv.redis_received()
    # Messages received from Redis, summed over the processes, per message sent.
    step["redis_messages_per_message"] = (
        round((redis_after - redis_before) / step["sent"], 2)
        if redis_before is not None and redis_after is not None and step["sent"]
        else None
    )
    step["server_cpu_pct"] = server_cpu.stop()
    step["generator_cpu_pct"] = gen_cpu.stop()
    # CPU per message: steadier than latency on a machine shared with other work.
    step["server_cpu_ms_per_message"] = _per_message(server_cpu.seconds, step)
    step["generator_cpu_ms_per_message"] = _per_message(gen_cpu.seconds, step)
    return step


async def relay(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    capacity = math.ceil(profile.visitors / max(1, profile.operators)) + 1
    gen = LoadGenerator(profile.workers, profile.connect_concurrency, profile.scenario_timeout)
    steps: list[dict[str, Any]] = []
    async with running(
        target, run_dir, profile.scenario_timeout, profile.operators, capacity
    ) as srv:
        try:
            if srv.spread_over:
                await gen.start(srv.spread_over, srv.spread_over, srv.cookies, spread=True)
            else:
                await gen.start(srv.visitor_urls or srv.visitor_url, srv.operator_url, srv.cookies)
            operators = await gen.operators()
            visitors, errors = await gen.visitors(profile.visitors, profile.scenario_timeout)
            # Every visitor's first message opens its conversation; not measured.
            warm = await gen.warm(min(profile.rates[0], 200), profile.visitors)
            i = 0
            for rate in profile.rates:
                # A step that fails is run once more at the same rate before stepping stops:
                # on a shared machine one scheduling hiccup can push a short step's p99 over.
                for attempt in (1, 2):
                    i += 1
                    step = await _step(gen, srv, profile, i, rate)
                    step["attempt"] = attempt
                    steps.append(step)
                    if _within(step, profile.p99_limit_ms) or profile.every_rate:
                        break
                if not _within(step, profile.p99_limit_ms) and not profile.every_rate:
                    break
            finals = await gen.final(DRAIN_SECONDS, profile.grace_seconds)
            for step in steps:
                _settle(step, finals)
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
        # True when even the last rate of the profile stayed within the limit: a lower bound.
        "capped": bool(steps) and _best(steps, profile.p99_limit_ms) == profile.rates[-1],
        "p99_limit_ms": profile.p99_limit_ms,
        "steps": steps,
    }
