"""Which processes host which Socket.IO rooms, kept in Redis so a message goes only where its
room is.

Keys, under a prefix shared by the processes that share rooms (`<p>` below):

- `<p>:r:<token>`: the set of host ids with a member of the room (`token` is `namespace|room`);
- `<p>:q:<token>`: the hosts that read that set and cache it; when the set changes, each is sent
  `!<token>` on its channel and forgets it, so a cache is never stale for longer than a publish;
- `<p>:o:<host>`: the tokens a host holds, so its rooms can be removed when it dies;
- `<p>:hosts`: a sorted set of host ids scored by their last heartbeat (Redis's clock). A host
  whose beat is older than the time to live is dead: the first survivor to notice reaps it.

Every change is a Lua script, so a change and its notification are one step for Redis. The
scripts name keys built from their arguments: a single Redis (or Sentinel), not Cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis.asyncio as aioredis

INVALIDATE = "!"

# ARGV: host, "1" to add / "0" to remove, token, prefix of host channels.
_SYNC = """
local changed
if ARGV[2] == '1' then
  changed = redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[3])
else
  changed = redis.call('SREM', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[3])
end
if changed == 1 then
  local readers = redis.call('SMEMBERS', KEYS[2])
  redis.call('DEL', KEYS[2])
  for _, reader in ipairs(readers) do
    if reader == ARGV[1] then
      redis.call('SADD', KEYS[2], reader)
    else
      redis.call('PUBLISH', ARGV[4] .. reader, '!' .. ARGV[3])
    end
  end
end
return changed
"""

# Records the reader before reading, so a change after this read is announced to it.
_READ = """
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('SMEMBERS', KEYS[1])
"""

# ARGV: host, time to live in seconds. Returns {1 if the host was unknown, dead hosts}.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return {added, dead}
"""

# ARGV: dead host, key prefix, batch size. Returns 1 while rooms are left to remove.
_REAP = """
local tokens = redis.call('SPOP', KEYS[2], tonumber(ARGV[3]))
for _, token in ipairs(tokens) do
  if redis.call('SREM', ARGV[2] .. ':r:' .. token, ARGV[1]) == 1 then
    local readers_key = ARGV[2] .. ':q:' .. token
    for _, reader in ipairs(redis.call('SMEMBERS', readers_key)) do
      redis.call('PUBLISH', ARGV[2] .. ':h:' .. reader, '!' .. token)
    end
    redis.call('DEL', readers_key)
  end
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
return 1
"""

# Publishes each packet to every host of its rooms and to its extra hosts, but this one
# (ARGV[1]); once on the broadcast channel (ARGV[4]) when more than ARGV[2] of them; ARGV[3] is
# the hosts' channel prefix. Then for each packet: its number of room keys, its number of extra
# hosts, the packet and the extra hosts; KEYS are the packets' room keys one packet after
# another. The host sets are read as the packets go, so they are never stale. Returns the
# publishes made for each packet, in order: packets go out in the order given.
_ROUTE_MANY = """
local out, k, a = {}, 1, 5
while a <= #ARGV do
  local nkeys, nhosts, packet = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local hosts, n = {}, 0
  local function add(h)
    if h ~= ARGV[1] and not hosts[h] then hosts[h] = true; n = n + 1 end
  end
  if nkeys > 0 then
    for _, h in ipairs(redis.call('SUNION', unpack(KEYS, k, k + nkeys - 1))) do add(h) end
  end
  k = k + nkeys
  for i = a, a + nhosts - 1 do add(ARGV[i]) end
  a = a + nhosts
  local sent = 0
  if n > tonumber(ARGV[2]) then
    redis.call('PUBLISH', ARGV[4], packet)
    sent = 1
  elseif n > 0 then
    for h in pairs(hosts) do redis.call('PUBLISH', ARGV[3] .. h, packet) end
    sent = n
  end
  out[#out + 1] = sent
end
return out
"""

REAP_BATCH = 500


def token(namespace: str, room: object) -> str:
    return f"{namespace}|{room}"


class RoomRegistry:
    """`redis` carries the packets; `control` (connections of its own, if given) the heartbeat
    and the room changes, so that a burst of packets never delays a beat past the time to live
    and gets a live process taken for dead."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        host_id: str,
        ttl: float,
        control: aioredis.Redis | None = None,
    ) -> None:
        self.redis = redis
        self.control = control or redis
        self.prefix = prefix
        self.host_id = host_id
        self.ttl = ttl
        self._sync = redis.register_script(_SYNC)
        self._read = redis.register_script(_READ)
        self._beat = redis.register_script(_BEAT)
        self._reap = redis.register_script(_REAP)
        self._route_many = redis.register_script(_ROUTE_MANY)

    def channel(self, host: str) -> str:
        return f"{self.prefix}:h:{host}"

    @property
    def broadcast_channel(self) -> str:
        return f"{self.prefix}:all"

    def _keys(self, tok: str) -> list[str]:
        p = self.prefix
        return [f"{p}:r:{tok}", f"{p}:q:{tok}", f"{p}:o:{self.host_id}"]

    async def apply(self, changes: Iterable[tuple[str, bool]]) -> None:
        """Adds (True) or removes (False) this host for each token, in order, in one trip."""
        async with self.control.pipeline(transaction=False) as pipe:
            for tok, present in changes:
                await self._sync(
                    keys=self._keys(tok),
                    args=[self.host_id, "1" if present else "0", tok, f"{self.prefix}:h:"],
                    client=pipe,
                )
            await pipe.execute()

    async def publish_many(
        self, packets: list[tuple[list[str], set[str], str]], broadcast_over: int
    ) -> list[int]:
        """Each (room tokens, extra hosts, payload) to the hosts of its rooms and to its extra
        hosts, all in one trip, in order; the publishes made for each."""
        keys: list[str] = []
        args: list[str | int] = [
            self.host_id,
            broadcast_over,
            f"{self.prefix}:h:",
            self.broadcast_channel,
        ]
        for tokens, hosts, payload in packets:
            keys += [f"{self.prefix}:r:{t}" for t in tokens]
            args += [len(tokens), len(hosts), payload, *hosts]
        return [int(n) for n in await self._route_many(keys=keys, args=args)]

    async def hosts(self, tok: str) -> set[str]:
        """Every host of the room; this host is told when that changes."""
        found = await self._read(keys=self._keys(tok)[:2], args=[self.host_id])
        return {h.decode() if isinstance(h, bytes) else h for h in found}

    async def resync(self, local: set[str]) -> None:
        """Makes Redis hold exactly the rooms this host has (after Redis lost them, or this
        host was taken for dead)."""
        held = {
            t.decode() if isinstance(t, bytes) else t
            for t in await self.control.smembers(f"{self.prefix}:o:{self.host_id}")  # type: ignore[misc]
        }
        changes = [(t, True) for t in local] + [(t, False) for t in held - local]
        for start in range(0, len(changes), REAP_BATCH):
            await self.apply(changes[start : start + REAP_BATCH])

    async def beat(self) -> tuple[bool, list[str]]:
        """Marks this host alive. Returns whether Redis did not know it, and the dead hosts."""
        added, dead = await self._beat(
            keys=[f"{self.prefix}:hosts"], args=[self.host_id, self.ttl], client=self.control
        )
        return bool(added), [d.decode() if isinstance(d, bytes) else d for d in dead]

    async def reap(self, host: str) -> None:
        """Removes a dead host from every room it held, telling the readers of each."""
        keys = [f"{self.prefix}:hosts", f"{self.prefix}:o:{host}"]
        while await self._reap(
            keys=keys, args=[host, self.prefix, REAP_BATCH], client=self.control
        ):
            pass
