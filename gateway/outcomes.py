"""Wakes requests waiting for their command's outcome from one Redis subscription."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from gateway import server_timing
from stores.redis import OUTCOMES_CHANNEL, RedisStore
from topics.envelopes import CommandOutcome

log = logging.getLogger(__name__)

RECHECK_SECONDS = 1.0
"""How long a waiting request trusts the announcement alone before reading the outcome."""


class OutcomeWaiter:
    def __init__(self, redis: RedisStore) -> None:
        self._redis = redis
        # Keyed by agency and command id, like the ledger.
        self._waiters: dict[tuple[UUID, UUID], list[asyncio.Future[CommandOutcome]]] = defaultdict(
            list
        )
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        # When each woken future's announcement came in (for Server-Timing's `wake`).
        self._delivered_at: dict[asyncio.Future[CommandOutcome], float] = {}

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="outcome-listener")
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def register(self, tenant_id: UUID, command_id: UUID) -> asyncio.Future[CommandOutcome]:
        """Register before publishing, so an outcome cannot slip past unseen."""
        future: asyncio.Future[CommandOutcome] = asyncio.get_running_loop().create_future()
        self._waiters[(tenant_id, command_id)].append(future)
        return future

    def forget(
        self, tenant_id: UUID, command_id: UUID, future: asyncio.Future[CommandOutcome]
    ) -> None:
        self._delivered_at.pop(future, None)
        key = (tenant_id, command_id)
        waiters = self._waiters.get(key)
        if waiters and future in waiters:
            waiters.remove(future)
            if not waiters:
                del self._waiters[key]

    async def wait(
        self,
        tenant_id: UUID,
        command_id: UUID,
        future: asyncio.Future[CommandOutcome],
        timeout: float,
    ) -> CommandOutcome | None:
        """The final outcome, or None when it did not come within `timeout` seconds.

        The announcement wakes the request (it was registered before the command was
        published, so it cannot pass unseen while the subscription stands). Only one not
        woken within RECHECK_SECONDS reads the stored outcome, in case its announcement
        was lost with a dropped subscription: one Redis round trip fewer per write.
        """
        waiting = time.monotonic()
        try:
            first = min(RECHECK_SECONDS, timeout)
            try:
                return await asyncio.wait_for(asyncio.shield(future), first)
            except TimeoutError:
                pass
            recorded = await self._redis.get_outcome(tenant_id, command_id)
            if recorded is not None and recorded.status != "accepted":
                return recorded
            return await asyncio.wait_for(future, max(0.0, timeout - first))
        except TimeoutError:
            return None
        finally:
            now = time.monotonic()
            delivered = self._delivered_at.pop(future, now)
            self.forget(tenant_id, command_id, future)
            server_timing.note("wait", max(0.0, delivered - waiting))
            server_timing.note("wake", now - delivered)

    async def _listen(self) -> None:
        def deliver(message: dict[str, Any]) -> None:
            if message.get("type") == "message":
                self._deliver(message["data"])

        await self._redis.keep_subscribed(
            deliver, self._subscribed, "outcome", channels=[OUTCOMES_CHANNEL]
        )

    def _deliver(self, raw: bytes) -> None:
        try:
            outcome = CommandOutcome.model_validate_json(raw)
        except ValidationError:
            log.warning("ignoring a malformed outcome message")
            return
        now = time.monotonic()
        for future in self._waiters.pop((outcome.tenant_id, outcome.command_id), []):
            if not future.done():
                future.set_result(outcome)
                self._delivered_at[future] = now
