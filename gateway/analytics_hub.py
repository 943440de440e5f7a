"""Fans the analytics' change announcements out to SSE streams, from one subscription.

Each gateway process holds one pattern subscription to every agency's channel and hands
each announcement to the streams open for that agency; a slow stream drops its oldest
announcements (the next one names the views again) instead of holding the others up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from stores.analytics_views import CHANGES_PATTERN, tenant_of_channel
from stores.redis import RedisStore

log = logging.getLogger(__name__)

QUEUE_SIZE = 64


class AnalyticsHub:
    def __init__(self, redis: RedisStore) -> None:
        self._redis = redis
        self._listeners: dict[str, set[asyncio.Queue[list[str]]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def listen(self, tenant_id: str) -> asyncio.Queue[list[str]]:
        """A queue of changed view names for one agency; `leave` it when done."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="analytics-hub")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        queue: asyncio.Queue[list[str]] = asyncio.Queue(QUEUE_SIZE)
        self._listeners[tenant_id].add(queue)
        return queue

    def leave(self, tenant_id: str, queue: asyncio.Queue[list[str]]) -> None:
        listeners = self._listeners.get(tenant_id)
        if listeners is not None:
            listeners.discard(queue)
            if not listeners:
                del self._listeners[tenant_id]

    async def _listen(self) -> None:
        def deliver(message: dict[str, Any]) -> None:
            if message.get("type") == "pmessage":
                self._deliver(message["channel"], message["data"])

        await self._redis.keep_subscribed(
            deliver, self._subscribed, "analytics", patterns=[CHANGES_PATTERN]
        )

    def _deliver(self, channel: bytes | str, raw: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            changed = list(json.loads(raw).get("changed", []))
        except (ValueError, AttributeError):
            log.warning("ignoring a malformed analytics announcement")
            return
        for queue in list(self._listeners.get(tenant_of_channel(name), ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(changed)
