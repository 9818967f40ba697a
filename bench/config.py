"""How big and how long each benchmark runs: the full measurement and a quick smoke run."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    # Idle density: widget connections held by one server process, and how long to watch it idle
    # (Prilavok pings every 25 s, so a window of at least that long includes the pings).
    idle_connections: int
    idle_seconds: float
    # Relay: connected visitors and operators, and the rates (messages a second) to step through;
    # stepping stops after the first step whose p99 passes `p99_limit_ms`. The rates are
    # 500, 1,000, 2,000 and upward; the lower ones first give a figure for a server that cannot
    # hold 500, so that the ratios to the baselines are never empty.
    visitors: int
    operators: int
    rates: tuple[int, ...]
    step_seconds: float
    grace_seconds: float
    p99_limit_ms: float
    # Load generator worker processes (Node), and connects in flight per worker.
    workers: int
    connect_concurrency: int
    # Dispatch: customers of the campaign through the fake Telegram (at 30 a second, 3,000 take
    # about 100 s), the seconds at its start left out of the sustained rate, and the customers
    # who consent to something in the planning measurement (a tenth more who do not).
    dispatch_customers: int
    dispatch_ramp_seconds: float
    plan_customers: int
    # Queue bytes: chats that join the queue while one console counts what it receives.
    queue_chats: int
    # Journeys: customers whose carts enter the abandoned-cart journey (one event each), and
    # how many of their first steps then fall due at once.
    journey_customers: int
    journey_steps: int
    # Every scenario is cut off after this long, whatever state it is in.
    scenario_timeout: float
    # Relay: measure every rate, whatever the p99 of the ones before (`--set every_rate=true`),
    # so that one run gives the figures at each rate (CPU per message at 1,000/s, p99 at 1,500/s)
    # beside the best rate within the limit, which is found the same way.
    every_rate: bool = False


FULL = Profile(
    name="full",
    idle_connections=10_000,
    idle_seconds=60,
    visitors=2_000,
    operators=200,
    rates=(100, 250, 500, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000, 8_000, 12_000),
    step_seconds=20,
    grace_seconds=3,
    p99_limit_ms=100,
    workers=2,
    connect_concurrency=50,
    dispatch_customers=3_000,
    dispatch_ramp_seconds=5,
    plan_customers=500_000,
    queue_chats=1_000,
    journey_customers=500_000,
    journey_steps=20_000,
    scenario_timeout=1_200,
)

QUICK = Profile(
    name="quick",
    idle_connections=500,
    idle_seconds=5,
    visitors=200,
    operators=20,
    rates=(25, 50, 100, 200, 400),
    step_seconds=5,
    grace_seconds=2,
    p99_limit_ms=100,
    workers=2,
    connect_concurrency=20,
    dispatch_customers=300,
    dispatch_ramp_seconds=2,
    plan_customers=50_000,
    queue_chats=200,
    journey_customers=20_000,
    journey_steps=2_000,
    scenario_timeout=240,
)

PROFILES = {p.name: p for p in (FULL, QUICK)}


def override(profile: Profile, settings: list[str]) -> Profile:
    """`--set visitors=500 --set rates=100,200`: a profile with some fields changed."""
    changes: dict[str, object] = {}
    for item in settings:
        key, _, raw = item.partition("=")
        current = getattr(profile, key.strip())  # AttributeError names an unknown field
        if isinstance(current, tuple):
            changes[key] = tuple(int(x) for x in raw.split(",") if x)
        elif isinstance(current, bool):
            changes[key] = raw.strip().lower() in ("1", "true", "yes")
        else:
            changes[key] = type(current)(raw)
    return replace(profile, **changes)
