"""Fixed-window rate limits in Redis: per caller for the API, per account for logins."""

from __future__ import annotations

import time

from fastapi import HTTPException

from stores.redis import RedisStore

WINDOW_SECONDS = 60


class RateLimited(HTTPException):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(
            429,
            f"Too many {what}; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


async def hit(redis: RedisStore, bucket: str, limit: int, what: str) -> None:
    """Count one hit in the current minute; raise 429 once `limit` is passed (0 = no limit)."""
    if limit <= 0:
        return
    now = int(time.time())
    window = now // WINDOW_SECONDS
    key = f"rt:rl:{bucket}:{window}"
    if await redis.count_hit(key, WINDOW_SECONDS + 5) > limit:
        raise RateLimited(what, WINDOW_SECONDS - now % WINDOW_SECONDS)
