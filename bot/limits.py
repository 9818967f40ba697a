"""Pacing sends: Telegram's ~30 messages a second overall and one a second per chat, and a
pause for the whole channel when it answers 429 with retry_after."""

from __future__ import annotations

from bot.clock import Clock


class Pacer:
    def __init__(self, clock: Clock, per_second: float, per_chat_seconds: float = 0.0) -> None:
        self.clock = clock
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_chat = per_chat_seconds
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}

    def _ts(self) -> float:
        return self.clock.now().timestamp()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._ts() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._ts())

    async def wait(self, chat: str) -> None:
        while True:
            now = self._ts()
            ready = max(self._next, self._paused_until, self._chat_next.get(chat, 0.0))
            if ready - now < 1e-3:  # clocks tick in microseconds; a millisecond early is on time
                break
            await self.clock.sleep(ready - now)
        self._next = now + self.interval
        if self.per_chat:
            if len(self._chat_next) > 10_000:  # forget chats whose pause is over
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            self._chat_next[chat] = now + self.per_chat
