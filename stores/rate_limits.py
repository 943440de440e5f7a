"""Request rate limits, counted in Redis by the `limits` library.

Sliding-window counters: a bucket counts the current window and the one before it,
the previous one weighed by how much of it still overlaps the last minute, so a client
cannot double its rate at a window's edge as a fixed window allows. Each bucket
(`caller:<id>`, `agency:<id>`) has its own keys in the run's Redis db. The connection
pool is this adapter's own, with short timeouts: a rate-limit check that cannot reach
Redis fails within about a second (`StoreUnavailable`), never holds a request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis.asyncio as aioredis
from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from core.settings import Settings
from stores.connections import redis_options
from stores.redis import unreachable

KEY_PREFIX = "rt:rl"
CONNECT_TIMEOUT_SECONDS = 1.0
SOCKET_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Allowance:
    """One bucket after a request was counted (or refused) in it."""

    allowed: bool
    limit: int
    remaining: int
    # Allowed: seconds until the current window closes and its count starts to drain.
    # Refused: seconds until a request of the same cost fits.
    reset_seconds: float


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding-window bucket as `limits` keeps it in Redis (counts and times left)."""

    previous: int
    current: int
    # Seconds left in the current window; the previous count weighs left / length.
    left: float
    length: float

    def used(self) -> int:
        # As limits' Lua script weighs it, so `remaining` agrees with its verdicts.
        return math.floor(self.previous * self.left / self.length) + self.current

    def seconds_until_room(self, cost: int, limit: int) -> float:
        """How long until `cost` more fits under `limit` (inf if it never can)."""
        if cost > limit:
            return math.inf
        room = limit - cost  # the most `used()` may be for the request to pass
        if self.used() <= room:
            return 0.0
        if self.current <= room and self.previous:
            # Within this window the previous count drains at `previous / length` a second.
            return max(0.0, self.left - (room - self.current) * self.length / self.previous)
        # After this window the current count becomes the previous one and drains in turn.
        return self.left + self.length * (1 - room / self.current)


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: aioredis.BlockingConnectionPool | None = None
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._storage: RedisStorage | None = None

    async def start(self) -> None:
        if self._pool is not None:
            return
        s = self._settings
        self._pool = aioredis.BlockingConnectionPool.from_url(
            s.redis_url,
            max_connections=100,
            timeout=SOCKET_TIMEOUT_SECONDS,  # waiting for a free connection
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            **redis_options(s),
        )
        storage = RedisStorage(
            f"async+{s.redis_url}",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            # The stubs type options as scalars; redis-py takes its pool here.
            connection_pool=self._pool,  # type: ignore[arg-type]
        )
        self._storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
            self._limiter = None
            self._storage = None

    @property
    def limiter(self) -> SlidingWindowCounterRateLimiter:
        if self._limiter is None:
            raise RuntimeError("RateLimits.start() was not called")
        return self._limiter

    @property
    def storage(self) -> RedisStorage:
        if self._storage is None:
            raise RuntimeError("RateLimits.start() was not called")
        return self._storage

    @unreachable
    async def take(self, bucket: str, per_minute: int, cost: int) -> Allowance:
        """Count `cost` units in `bucket` unless that passes `per_minute`; say what is left."""
        item = RateLimitItemPerMinute(per_minute, namespace="api")
        allowed = await self.limiter.hit(item, bucket, cost=cost)
        window = await self.window(item, bucket)
        remaining = max(0, per_minute - window.used())
        if allowed:
            return Allowance(True, per_minute, remaining, window.left)
        wait = window.seconds_until_room(cost, per_minute)
        return Allowance(False, per_minute, remaining, min(wait, 2 * window.length))

    async def window(self, item: RateLimitItemPerMinute, bucket: str) -> Window:
        length = item.get_expiry()
        previous, previous_ttl, current, current_ttl = await self.storage.get_sliding_window(
            item.key_for(bucket), length
        )
        # The current counter lives two windows from its first hit, the previous one
        # until the current window closes.
        left = current_ttl - length if current_ttl > length else previous_ttl
        return Window(previous, current, max(0.0, left), float(length))
