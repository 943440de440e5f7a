"""Redis holds command outcomes (with a pub/sub channel to wake waiters) and idempotency keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis

from core import jsoncodec
from core.settings import Settings
from topics.envelopes import CommandOutcome

OUTCOME_TTL_SECONDS = 24 * 3600
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
OUTCOMES_CHANNEL = "rt:outcomes"


def outcome_key(command_id: UUID) -> str:
    return f"rt:cmd:{command_id}"


def idempotency_key(tenant_id: UUID, principal: str, key: str) -> str:
    return f"rt:idem:{tenant_id}:{principal}:{key}"


class RedisStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aioredis.Redis | None = None

    async def start(self) -> None:
        if self._client is None:
            # A blocking pool makes a burst wait for a free connection instead of failing.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._settings.redis_url, max_connections=200, timeout=10
            )
            self._client = aioredis.Redis(connection_pool=pool, health_check_interval=30)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("RedisStore.start() was not called")
        return self._client

    async def ping(self) -> None:
        await self.client.ping()

    async def mark_accepted(self, outcome: CommandOutcome) -> None:
        # NX: a fast agent may already have recorded the final outcome.
        await self.client.set(
            outcome_key(outcome.command_id),
            outcome.model_dump_json(),
            ex=OUTCOME_TTL_SECONDS,
            nx=True,
        )

    async def record_outcomes(
        self, outcomes: Sequence[CommandOutcome], *, quiet: Collection[UUID] = ()
    ) -> None:
        """Store each outcome and wake its waiters, in one round trip.

        Outcomes in `quiet` have no waiters (a bulk import's): stored, not announced.
        """
        if not outcomes:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                # The resource rides only on the wake-up message: kept for 24 h it would be
                # one more copy of personal data to find and erase.
                kept = outcome.model_dump_json(exclude={"resource"})
                pipe.set(outcome_key(outcome.command_id), kept, ex=OUTCOME_TTL_SECONDS)
                if outcome.command_id not in quiet:
                    pipe.publish(OUTCOMES_CHANNEL, outcome.model_dump_json())
            await pipe.execute()

    async def get_outcome(self, command_id: UUID) -> CommandOutcome | None:
        raw = await self.client.get(outcome_key(command_id))
        return CommandOutcome.model_validate_json(raw) if raw else None

    async def claim_idempotency_key(self, key: str, value: dict[str, Any]) -> dict[str, Any] | None:
        """Store `value` under `key` unless taken; return the earlier value when it was."""
        if await self.client.set(key, jsoncodec.dumps(value), ex=IDEMPOTENCY_TTL_SECONDS, nx=True):
            return None
        raw = await self.client.get(key)
        return dict(jsoncodec.loads(raw)) if raw else None
