"""Pacing shared by every process through Redis: Telegram's bot-wide messages a second and one
message a second per chat hold for N workers together, with no setting to divide by hand.

The rules are those of the in-process `Pacer` (bot/limits.py), kept in Redis and decided in one
Lua script, on Redis's clock, so that no two processes can both take the last place:

- at most `per_second` sends in any second as Telegram counts them: a send holds its place from
  the moment it is let through until a second (and a margin) after it was answered. A send in
  flight counts until it is answered, so however long a request takes on its way, the second in
  which Telegram counts it never holds one too many. The `limits` library's windows count from
  the moment of the hit, which a delayed request would overrun, hence a script of our own;
- sends spaced at 1/per_second (a cell rate with a burst of BURST, the in-process token bucket);
- one send to a chat, then none until `per_chat` seconds after it was answered;
- a 429's retry_after pauses every process.

A place taken by a process that died in flight is freed after IN_FLIGHT_SECONDS. While Redis
cannot be reached nothing is let through (`PaceUnavailable`): the limit cannot be kept blind.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from prilavok.bot.clock import Clock
from prilavok.bot.limits import BURST, WINDOW_MARGIN, Pacer

log = logging.getLogger(__name__)

IN_FLIGHT_SECONDS = 30.0  # longer than a send may take (aiogram's own timeout is shorter)
MAX_NAP = 0.2  # a waiter looks again at least this often: a send in flight may be answered
REDIS_SECONDS = 3.0

# KEYS: window (sorted set: place -> when it stops counting), pause, chat, spacing.
# ARGV: per_second, per_chat ms, place, in flight ms, interval ms, burst, margin ms.
# Returns 0 when the place was taken, else the milliseconds to wait before asking again.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, per_chat, in_flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local interval, burst, margin = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused - now > wait then wait = paused - now end
if per_chat > 0 then
  local chat = redis.call('PTTL', KEYS[3])
  if chat > wait then wait = chat end
end
local tat = tonumber(redis.call('GET', KEYS[4]) or '0')
if tat < now then tat = now end
if interval > 0 and tat - (burst - 1) * interval - now > wait then
  wait = tat - (burst - 1) * interval - now
end
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000 - margin)
  if redis.call('ZCARD', KEYS[1]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local free = tonumber(oldest[2]) + 1000 + margin - now
    if free > wait then wait = free end
  end
end
if wait > 0 then return wait end
if limit > 0 then
  redis.call('ZADD', KEYS[1], now + in_flight, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], in_flight + 2000)
end
if per_chat > 0 then redis.call('SET', KEYS[3], '1', 'PX', in_flight) end
if interval > 0 then
  redis.call('SET', KEYS[4], tat + interval, 'PX', tat + interval - now + 1000)
end
return 0
"""

# The send was answered (or failed): its place counts from now, and so does the chat's pause.
# KEYS: window, chat. ARGV: place, per_chat ms.
_ANSWERED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
return 0
"""

# KEYS: pause. ARGV: milliseconds. Pauses until then, unless a longer pause is on.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ then
  redis.call('SET', KEYS[1], until_, 'PX', ARGV[1])
end
return 0
"""


class PaceUnavailable(Exception):
    """Redis could not be asked: nothing may be sent now."""


class SharedPacer:
    """The interface of `Pacer` (`turn`, `pause`), with its books in Redis under `prefix`."""

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        per_second: float,
        per_chat_seconds: float = 0.0,
    ) -> None:
        self.redis = aioredis.Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_SECONDS, socket_timeout=REDIS_SECONDS
        )
        self.prefix = prefix
        self.limit = int(per_second) if per_second >= 1 else 0
        self.interval_ms = round(1000 / per_second) if per_second > 0 else 0
        self.per_chat_ms = round(per_chat_seconds * 1000)
        self._take = self.redis.register_script(_TAKE)
        self._answered = self.redis.register_script(_ANSWERED)
        self._pause = self.redis.register_script(_PAUSE)
        self._places = (f"{secrets.token_hex(6)}:{n}" for n in itertools.count())

    async def close(self) -> None:
        await self.redis.aclose()

    def _chat(self, chat: str) -> str:
        return f"{self.prefix}:chat:{chat}"

    async def pause(self, seconds: float) -> None:
        try:
            await self._pause(keys=[f"{self.prefix}:pause"], args=[max(1, round(seconds * 1000))])
        except RedisError as exc:  # the send that met the 429 is put back all the same
            log.warning("cannot share a pause of %.0f s: %s", seconds, exc)

    @asynccontextmanager
    async def turn(self, chat: str) -> AsyncIterator[None]:
        place = await self.wait(chat)
        try:
            yield
        finally:
            try:
                await self._answered(
                    keys=[f"{self.prefix}:window", self._chat(chat)],
                    args=[place, self.per_chat_ms],
                )
            except RedisError as exc:  # the place is freed when its time in flight runs out
                log.warning("cannot record an answered send: %s", exc)

    async def wait(self, chat: str) -> str:
        """Waits for a place; returns its name (the send holds it until answered)."""
        place = next(self._places)
        keys = [
            f"{self.prefix}:window",
            f"{self.prefix}:pause",
            self._chat(chat),
            f"{self.prefix}:spacing",
        ]
        args = [
            self.limit,
            self.per_chat_ms,
            place,
            round(IN_FLIGHT_SECONDS * 1000),
            self.interval_ms,
            BURST,
            round(WINDOW_MARGIN * 1000),
        ]
        while True:
            try:
                wait_ms = int(await self._take(keys=keys, args=args))
            except RedisError as exc:
                raise PaceUnavailable(str(exc)) from exc
            if wait_ms <= 0:
                return place
            await asyncio.sleep(min(wait_ms / 1000, MAX_NAP))


def pacer_for(
    redis_url: str | None, prefix: str, clock: Clock, name: str, pace: tuple[float, float]
) -> Pacer | SharedPacer:
    """A channel's pace: shared by every process through Redis when there is one (and a limit
    to share), else this process's own."""
    if redis_url and any(pace):
        return SharedPacer(redis_url, f"{prefix}:pace:{name}", *pace)
    return Pacer(clock, *pace)
