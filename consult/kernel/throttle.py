"""Rate limits by visitor, address and login, on the `limits` library.

Each limit has a name and a rule in the library's notation ("30/minute; 300/hour": every
window must have room). Counts live in process memory, or in Redis when the app has it, so that
several processes share them. A limit with an empty rule is off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from prilavok.consult.kernel.errors import RateLimited

# The defaults, also the settings' defaults (prilavok/settings.py) and in docs/architecture.md.
DEFAULT_RULES: dict[str, str] = {
    # Messages one visitor may send (the widget's outbox resends count too).
    "visitor_messages": "30/minute; 300/hour",
    # Socket.IO connections (engine.io handshakes) opened from one address.
    "address_sockets": "120/minute; 1200/hour",
    # New conversations opened from one address.
    "address_conversations": "10/minute; 60/hour",
    # Call-back and left-message tasks.
    "visitor_callbacks": "3/hour; 10/day",
    "address_callbacks": "10/hour; 30/day",
    # Failed log-ins: the longer windows make the wait grow as failures go on.
    "login_failures": "5/minute; 20/hour; 100/day",
    "address_login_failures": "20/minute; 100/hour; 500/day",
    # Personal-page codes that match no offer.
    "address_page_codes": "10/minute; 50/hour; 200/day",
}


def parse_rule(rule: str) -> list[RateLimitItem]:
    """The windows of a rule; [] for an empty one (off). ValueError on a malformed rule."""
    return list(parse_many(rule)) if rule.strip() else []


class Throttle:
    def __init__(
        self,
        rules: Mapping[str, str] | None = None,
        *,
        redis_url: str = "",
        key_prefix: str = "prilavok",
    ) -> None:
        merged = {**DEFAULT_RULES, **(rules or {})}
        self.rules = {name: parse_rule(rule) for name, rule in merged.items()}
        storage: Storage
        # Our own pool, so that `close` can let its connections go.
        self._pool = ConnectionPool.from_url(redis_url) if redis_url else None
        if self._pool is not None:
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{key_prefix}:limits",
                connection_pool=self._pool,
            )
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def hit(self, name: str, key: str) -> None:
        """Counts one event; refuses (RateLimited) when a window of the limit is full."""
        await self.check(name, key)
        for item in self.rules[name]:
            if not await self.limiter.hit(item, name, key):
                # Filled meanwhile by another request or process.
                raise RateLimited(await self._retry_after(name, key))

    async def check(self, name: str, key: str) -> None:
        """Refuses when a window is full, counting nothing (for limits on failures)."""
        for item in self.rules[name]:
            if not await self.limiter.test(item, name, key):
                raise RateLimited(await self._retry_after(name, key))

    async def fail(self, name: str, key: str) -> None:
        """Counts one failure; never refuses (the next `check` does)."""
        for item in self.rules[name]:
            await self.limiter.hit(item, name, key)

    async def _retry_after(self, name: str, key: str) -> int:
        """Seconds until every window has room again."""
        now, wait = time.time(), 1.0
        for item in self.rules[name]:
            stats = await self.limiter.get_window_stats(item, name, key)
            if stats.remaining <= 0:
                wait = max(wait, stats.reset_time - now)
        return math.ceil(wait)
