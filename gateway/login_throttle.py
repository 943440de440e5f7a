"""A brake on password guessing: a growing back-off per account and per client address.

After a few failures within a quarter of an hour, each further attempt on that account
(or from that address) must wait: 1 s, then 2, 4, ... up to `LOGIN_MAX_BACKOFF_SECONDS`.
It is not a lock-out: the owner of the account can always log in after the wait, and
an attacker cannot keep them out for longer than the maximum. Counts live in Redis so
every gateway process sees them.
"""

from __future__ import annotations

from fastapi import HTTPException

from core.settings import Settings
from stores.redis import RedisStore

FAILURE_WINDOW_SECONDS = 15 * 60


def _keys(kind: str, who: str) -> tuple[str, str]:
    return f"rt:login:fail:{kind}:{who}", f"rt:login:wait:{kind}:{who}"


class LoginThrottle:
    def __init__(self, redis: RedisStore, settings: Settings) -> None:
        self._redis = redis
        self._free = {
            "account": settings.login_free_failures_per_account,
            "address": settings.login_free_failures_per_address,
        }
        self._max_wait = settings.login_max_backoff_seconds

    async def check(self, username: str, address: str) -> None:
        """Raise 429 with Retry-After while the account or the address must wait."""
        waits = await self._redis.ttls(
            [_keys("account", username.lower())[1], _keys("address", address)[1]]
        )
        wait = max(waits, default=0)
        if wait > 0:
            raise HTTPException(
                429,
                f"Too many failed logins; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )

    async def failed(self, username: str, address: str) -> None:
        for kind, who in (("account", username.lower()), ("address", address)):
            failures_key, wait_key = _keys(kind, who)
            failures = await self._redis.count_hit(failures_key, FAILURE_WINDOW_SECONDS)
            beyond = failures - self._free[kind]
            if beyond > 0:
                await self._redis.hold(wait_key, min(2 ** (beyond - 1), self._max_wait))

    async def succeeded(self, username: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        await self._redis.delete(*_keys("account", username.lower()))
