from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def candidate_body(**overrides: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:10]
    body: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": f"Lovelace{unique}",
        "emails": [f"Ada.{unique}@Example.com"],
        "phones": [],
        "headline": "Staff Python Engineer",
        "location": {"city": "Berlin", "country": "DE", "remote": True},
        "skills": [{"name": "Python", "years": 9, "level": "expert"}, {"name": "Kafka"}],
        "source": "referral",
        "tags": ["backend"],
    }
    body.update(overrides)
    return body


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 15.0,
    what: str = "condition",
    interval: float = 0.1,
) -> T:
    """Poll until `probe` returns something truthy (the system is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(interval)
