"""The rate-limit store on the real Redis, and what happens when Redis is gone."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import Request

from core.errors import StoreUnavailable
from core.settings import Settings, get_settings
from gateway.ratelimit import STATE_KEY, charge
from stores.rate_limits import RateLimits
from tests.harness.processes import free_port

pytestmark = pytest.mark.stack


@pytest.fixture
async def limits() -> AsyncIterator[RateLimits]:
    made = RateLimits(get_settings())
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def test_costs_are_counted_and_the_limit_refuses_past_it(limits: RateLimits) -> None:
    bucket = f"caller:{uuid.uuid4()}"
    first = await limits.take(bucket, 12, 5)
    assert (first.allowed, first.limit, first.remaining) == (True, 12, 7)
    assert 0 < first.reset_seconds <= 60
    assert (await limits.take(bucket, 12, 5)).remaining == 2
    refused = await limits.take(bucket, 12, 5)
    assert not refused.allowed
    assert refused.remaining == 2  # a refused request takes nothing
    assert (await limits.take(bucket, 12, 2)).allowed
    other = await limits.take(f"caller:{uuid.uuid4()}", 12, 5)
    assert other.remaining == 7  # each bucket is its own


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "state": {}})


async def test_redis_down_is_503_fast_or_served_uncounted_when_told() -> None:
    port = free_port()  # nothing listens there
    closed = Settings(REDIS_PORT=port)
    limits = RateLimits(closed)
    await limits.start()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as raised:
            await charge(_request(), closed, limits, "someone", "some-agency")
        assert raised.value.store == "redis"
        assert time.monotonic() - started < 3, "a dead Redis must not hold the request"

        open_settings = Settings(REDIS_PORT=port, RATE_LIMIT_FAIL_OPEN=True)
        request = _request()
        await charge(request, open_settings, limits, "someone", "some-agency")
        assert STATE_KEY not in request.scope["state"]  # served, uncounted, no headers
    finally:
        await limits.stop()


async def test_zero_means_no_limit_and_no_redis_call() -> None:
    port = free_port()
    unlimited = Settings(REDIS_PORT=port, RATE_LIMIT_PER_MINUTE=0, AGENCY_RATE_LIMIT_PER_MINUTE=0)
    limits = RateLimits(unlimited)
    await limits.start()
    try:
        await charge(_request(), unlimited, limits, "someone", "some-agency")
    finally:
        await limits.stop()
