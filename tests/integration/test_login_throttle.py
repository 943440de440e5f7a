"""Password guessing meets a growing back-off in the real Redis, per account and address."""

from __future__ import annotations

import uuid

import pytest
from fastapi import HTTPException

from core.settings import Settings
from gateway.login_throttle import LoginThrottle
from stores.bundle import Stores

pytestmark = pytest.mark.stack


def _throttle(stores: Stores, **limits: int) -> LoginThrottle:
    settings = Settings.model_validate(
        {
            "LOGIN_FREE_FAILURES_PER_ACCOUNT": 2,
            "LOGIN_FREE_FAILURES_PER_ADDRESS": 3,
            "LOGIN_MAX_BACKOFF_SECONDS": 8,
            **limits,
        }
    )
    return LoginThrottle(stores.redis, settings)


async def _waits(throttle: LoginThrottle, username: str, address: str) -> int:
    try:
        await throttle.check(username, address)
    except HTTPException as refused:
        # Anything but a 429 with Retry-After fails the caller's comparisons.
        return int((refused.headers or {})["Retry-After"]) if refused.status_code == 429 else -1
    return 0


async def test_each_failure_past_the_free_ones_doubles_the_wait(stores: Stores) -> None:
    throttle, user, address = (
        _throttle(stores),
        f"u-{uuid.uuid4().hex}",
        f"10.0.{uuid.uuid4().int % 250}.1",
    )
    waits = []
    for _ in range(7):
        await throttle.failed(user, address)
        waits.append(await _waits(throttle, user, address))
    # Two free failures, then 1, 2, 4, 8 seconds, capped at the maximum.
    assert waits[:2] == [0, 0]
    assert [w > 0 for w in waits[2:]] == [True] * 5
    assert max(waits) <= 8
    assert waits[2] <= waits[3] <= waits[4]


async def test_an_address_guessing_many_accounts_is_slowed_too(stores: Stores) -> None:
    throttle, address = _throttle(stores), f"10.1.{uuid.uuid4().int % 250}.1"
    for _ in range(4):
        await throttle.failed(f"u-{uuid.uuid4().hex}", address)
    assert await _waits(throttle, f"u-{uuid.uuid4().hex}", address) > 0
    # Another address is not affected.
    assert await _waits(throttle, f"u-{uuid.uuid4().hex}", "10.2.0.1") == 0


async def test_the_right_password_clears_the_accounts_failures(stores: Stores) -> None:
    throttle, user = _throttle(stores), f"u-{uuid.uuid4().hex}"
    for _ in range(2):
        await throttle.failed(user, "10.3.0.1")
    await throttle.succeeded(user)
    await throttle.failed(user, "10.3.0.2")
    assert await _waits(throttle, user, "10.3.0.2") == 0
