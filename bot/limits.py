"""Pacing sends: Telegram's ~30 messages a second overall and one a second per chat, and a
pause for the whole channel when it answers 429 with retry_after."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prilavok.bot.clock import Clock

# Sleeps end a little early or late, and Telegram's second is not ours to the millisecond.
WINDOW_MARGIN = 0.01
BURST = 3


class Pacer:
    """One send every 1/per_second seconds, and never more than per_second of them in any
    second as the service counts them: a send starts only a second (and a margin) after the
    send per_second before it was answered. The service counted that one before answering, so
    however a request is delayed on its way, no second there holds one too many; a spacing
    alone would let a delayed request and later punctual ones bunch up.

    The spacing is a token bucket of BURST sends: when a send was held up (the worker was
    claiming the next batch, an answer came late), up to BURST of the following ones may go
    in quick succession until the pace is made up, so a hold-up is not lost for good; the
    average stays at per_second, and the one-second rule above still holds for every send.
    """

    def __init__(self, clock: Clock, per_second: float, per_chat_seconds: float = 0.0) -> None:
        self.clock = clock
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_chat = per_chat_seconds
        # A fresh pacer may send one at once; the rest follow at the pace.
        self._tokens = 1.0
        self._filled_at: float | None = None
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}
        # When each of the last per_second sends was answered (a whole number of them).
        self._answered: deque[float] | None = (
            deque(maxlen=int(per_second)) if per_second >= 1 else None
        )

    def _ts(self) -> float:
        return self.clock.now().timestamp()

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._ts() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._ts())

    @asynccontextmanager
    async def turn(self, chat: str) -> AsyncIterator[None]:
        """Waits for a send to `chat` to be allowed; the send runs inside; its answer (or
        failure) is remembered when it leaves."""
        await self.wait(chat)
        try:
            yield
        finally:
            if self._answered is not None:
                self._answered.append(self._ts())

    def _fill(self, now: float) -> None:
        if self.interval and self._filled_at is not None:
            self._tokens = min(BURST, self._tokens + (now - self._filled_at) / self.interval)
        self._filled_at = now

    async def wait(self, chat: str) -> None:
        window = self._answered
        while True:
            now = self._ts()
            self._fill(now)
            spaced = now + (1.0 - self._tokens) * self.interval if self._tokens < 1 else now
            ready = max(spaced, self._paused_until, self._chat_next.get(chat, 0.0))
            if window is not None and len(window) == window.maxlen:
                ready = max(ready, window[0] + 1.0 + WINDOW_MARGIN)
            if ready - now < 1e-3:  # clocks tick in microseconds; a millisecond early is on time
                break
            await self.clock.sleep(ready - now)
        if self.interval:
            self._tokens -= 1.0  # a send let through a little early is paid for by the next
        if self.per_chat:
            if len(self._chat_next) > 10_000:  # forget chats whose pause is over
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            self._chat_next[chat] = now + self.per_chat
