"""Live streams open at once, per user and per agency: leases in Redis sorted sets.

Each open stream holds a slot in one sorted set per cap (member: the stream's id,
score: when its lease ends, by the Redis server's clock so gateways on other hosts
agree). Claiming drops lapsed leases, then takes a slot in every set or in none; an
open stream renews its lease as it runs and gives the slot back when it ends, and the
slot of a gateway that died lapses on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from stores.redis import RedisStore, unreachable

# KEYS: one sorted set per cap. ARGV: lease (ms), stream id, then each key's cap (0: none).
# Answers 0 when claimed, else the (1-based) number of the key that is full.
_CLAIM = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local cap = tonumber(ARGV[2 + i])
  if cap > 0 and redis.call('ZCARD', key) >= cap then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[2])
  redis.call('PEXPIRE', key, lease)
end
return 0
"""
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lease = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[2])
  redis.call('PEXPIRE', key, lease)
end
return 0
"""


def user_streams_key(principal_id: str) -> str:
    return f"rt:streams:user:{principal_id}"


def agency_streams_key(tenant_id: str) -> str:
    return f"rt:streams:agency:{tenant_id}"


@unreachable
async def claim_stream(
    redis: RedisStore, caps: Sequence[tuple[str, int]], stream_id: str, lease_seconds: float
) -> str | None:
    """Take a slot under every (key, cap); None when taken, else the key that is full."""
    keys = [key for key, _ in caps]
    args: list[str | int] = [int(lease_seconds * 1000), stream_id, *(cap for _, cap in caps)]
    full = int(await redis.client.eval(_CLAIM, len(keys), *keys, *args))
    return keys[full - 1] if full else None


@unreachable
async def renew_stream(
    redis: RedisStore, keys: Sequence[str], stream_id: str, lease_seconds: float
) -> None:
    await redis.client.eval(_RENEW, len(keys), *keys, int(lease_seconds * 1000), stream_id)


@unreachable
async def release_stream(redis: RedisStore, keys: Sequence[str], stream_id: str) -> None:
    async with redis.client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.zrem(key, stream_id)
        await pipe.execute()


@unreachable
async def open_streams(redis: RedisStore, key: str) -> int:
    """Streams holding a live lease under `key` (lapsed ones are not counted)."""
    t = await redis.client.time()
    now = t[0] * 1000 + t[1] // 1000
    return int(await redis.client.zcount(key, now, "+inf"))
