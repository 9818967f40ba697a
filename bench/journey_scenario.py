"""Journeys at scale as a scenario of `bench/run.sh`: on SQLite and on PostgreSQL, a fresh
database each, `bench/journeys.py enter` (N customers' carts entering the abandoned-cart
journey) and then `steps` (M of their first steps falling due at once), each in a process of
its own so that its peak RSS is its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.config import Profile
from bench.dispatch import _drop_postgres, _remove, _run_json
from bench.targets import fresh_database

BACKENDS = ("sqlite", "postgresql")


async def one_backend(backend: str, profile: Profile, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before minutes of work
    path = work / f"journeys-{backend}.db"
    url = await fresh_database(backend, path)
    bound = profile.scenario_timeout
    try:
        entered = await _run_json(
            ["-m", "bench.journeys", "enter", url, str(profile.journey_customers)], bound
        )
        steps = await _run_json(
            ["-m", "bench.journeys", "steps", url, str(profile.journey_steps)], bound
        )
    finally:
        _remove(path)
        if backend != "sqlite":
            await _drop_postgres()
    return {"backend": backend, "enter": entered, "steps": steps}


async def journeys(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"scenario": "journeys", "target": target, "backends": []}
    failed = []
    for backend in BACKENDS:
        print(f"# journeys on {backend} ...", file=sys.stderr, flush=True)
        try:
            result["backends"].append(await one_backend(backend, profile, run_dir / "journeys"))
        except Exception as exc:  # the other backend's figures are worth having all the same
            failed.append(f"{backend}: {type(exc).__name__}: {exc}")
    if failed:
        result["error"] = "; ".join(failed)
    return result
