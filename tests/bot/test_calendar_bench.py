"""The calendar bench runs and counts what it did (a small run), and a second pass over the
same history plans nothing twice."""

from __future__ import annotations

from pathlib import Path

from bench import calendar


async def test_the_calendar_bench_seeds_and_plans(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    seeded = await calendar.seed(url, 600, 2_400)
    assert seeded == {"customers": 600, "purchases": 2_400, "products": 300, "rules": 7}
    first = await calendar.plan(url)
    assert first["customers"] == 600 and first["planned"] > 0 and first["held_out"] > 0
    assert first["deliveries"] == first["planned"]
    again = await calendar.plan(url)
    assert (again["planned"], again["held_out"], again["gifts"]) == (0, 0, 0)
    assert again["deliveries"] == first["planned"]
