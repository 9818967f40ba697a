"""A clock the test moves; sleeping on it moves it too, so waits cost no real time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

# A Monday noon in Moscow: inside the hours offers may go out.
NOON_MSK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = NOON_MSK) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)
