"""The journeys bench runs and counts what it did (a small run of both scenarios)."""

from __future__ import annotations

from pathlib import Path

from bench import journeys


async def test_the_journeys_bench_enters_and_takes_steps(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    entered = await journeys.enter(url, 2_500)
    assert (entered["events"], entered["runs"], entered["timers"]) == (2_500, 2_500, 2_500)
    taken = await journeys.steps(url, 700)
    assert (taken["steps"], taken["deliveries"]) == (700, 700)
    assert taken["per_second"] > 0 and entered["per_second"] > 0
