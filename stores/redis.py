"""Redis holds command outcomes (with a pub/sub channel to wake waiters) and idempotency keys."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import jsoncodec
from core.settings import Settings
from stores.connections import redis_options
from stores.errors import translated
from topics.envelopes import CommandOutcome

log = logging.getLogger(__name__)

unreachable = translated("redis", (RedisConnectionError, RedisTimeoutError))

OUTCOME_TTL_SECONDS = 24 * 3600
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
OUTCOMES_CHANNEL = "rt:outcomes"


def outcome_key(tenant_id: UUID, command_id: UUID) -> str:
    return f"rt:cmd:{tenant_id}:{command_id}"


def idempotency_key(tenant_id: UUID, principal: str, key: str) -> str:
    return f"rt:idem:{tenant_id}:{principal}:{key}"


# A Redis that does not answer must not hold a request: connecting and every reply are
# bounded, and so is the wait for a free pooled connection.
CONNECT_TIMEOUT_SECONDS = 2.0
REPLY_TIMEOUT_SECONDS = 3.0
POOL_WAIT_SECONDS = 3.0


class RedisStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aioredis.Redis | None = None
        self._listener: aioredis.Redis | None = None

    async def start(self) -> None:
        if self._client is None:
            # A blocking pool makes a burst wait for a free connection instead of failing.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._settings.redis_url,
                max_connections=200,
                timeout=POOL_WAIT_SECONDS,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                socket_timeout=REPLY_TIMEOUT_SECONDS,
                **redis_options(self._settings),
            )
            self._client = aioredis.Redis(connection_pool=pool, health_check_interval=30)
            # Subscriptions wait for messages as long as it takes: no reply timeout there
            # (a quiet channel is not a dead server; the health check finds that out).
            self._listener = aioredis.Redis.from_url(
                self._settings.redis_url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                health_check_interval=30,
                **redis_options(self._settings),
            )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._listener is not None:
            await self._listener.aclose()
            self._listener = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("RedisStore.start() was not called")
        return self._client

    @unreachable
    async def ping(self) -> None:
        await self.client.ping()

    @unreachable
    async def mark_accepted(self, outcome: CommandOutcome) -> None:
        # NX: a fast agent may already have recorded the final outcome.
        await self.client.set(
            outcome_key(outcome.tenant_id, outcome.command_id),
            outcome.model_dump_json(),
            ex=OUTCOME_TTL_SECONDS,
            nx=True,
        )

    @unreachable
    async def record_outcomes(
        self, outcomes: Sequence[CommandOutcome], *, quiet: Collection[tuple[UUID, UUID]] = ()
    ) -> None:
        """Store each outcome and wake its waiters, in one round trip.

        Outcomes whose (tenant_id, command_id) is in `quiet` have no waiters (a bulk
        import's): stored, not announced.
        """
        if not outcomes:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                # Ids and status only are kept (24 h): the resource itself would be one more
                # copy of personal data. The announcement may add the resource's event as
                # the events topic has it, personal fields sealed (`resource_event`), which
                # Redis passes on and does not keep: the waiting gateway opens it with the
                # person's key instead of reading the stores back.
                bare = outcome.model_dump_json(exclude={"resource", "resource_event"})
                key = (outcome.tenant_id, outcome.command_id)
                pipe.set(outcome_key(*key), bare, ex=OUTCOME_TTL_SECONDS)
                if key not in quiet:
                    told = bare
                    if outcome.resource_event is not None:
                        told = outcome.model_dump_json(exclude={"resource"})
                    pipe.publish(OUTCOMES_CHANNEL, told)
            await pipe.execute()

    @unreachable
    async def get_outcome(self, tenant_id: UUID, command_id: UUID) -> CommandOutcome | None:
        """The agency's command's latest outcome, kept 24 h."""
        raw = await self.client.get(outcome_key(tenant_id, command_id))
        return CommandOutcome.model_validate_json(raw) if raw else None

    @unreachable
    async def get_outcomes(
        self, tenant_id: UUID, command_ids: Sequence[UUID]
    ) -> dict[UUID, CommandOutcome]:
        """The agency's commands' outcomes that are stored, in one round trip (a job
        reading its batches' summaries)."""
        if not command_ids:
            return {}
        found = await self.client.mget([outcome_key(tenant_id, c) for c in command_ids])
        out: dict[UUID, CommandOutcome] = {}
        for command_id, raw in zip(command_ids, found, strict=True):
            if raw:
                outcome = CommandOutcome.model_validate_json(raw)
                # "accepted" is the gateway's mark before the worker's word: not an outcome.
                if outcome.status != "accepted":
                    out[command_id] = outcome
        return out

    @unreachable
    async def claim_idempotency_key(self, key: str, value: dict[str, Any]) -> dict[str, Any] | None:
        """Store `value` under `key` unless taken; return the earlier value when it was."""
        if await self.client.set(key, jsoncodec.dumps(value), ex=IDEMPOTENCY_TTL_SECONDS, nx=True):
            return None
        raw = await self.client.get(key)
        return dict(jsoncodec.loads(raw)) if raw else None

    @unreachable
    async def replace_idempotency_key(self, key: str, value: dict[str, Any]) -> None:
        """Point `key` at a new attempt (the earlier one was refused, never applied)."""
        await self.client.set(key, jsoncodec.dumps(value), ex=IDEMPOTENCY_TTL_SECONDS)

    @unreachable
    async def count_hit(self, key: str, ttl_seconds: int) -> int:
        """Add one to the counter `key` (made to expire after `ttl_seconds`); its new value."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl_seconds)
            count, _ = await pipe.execute()
        return int(count)

    @unreachable
    async def ttls(self, keys: Sequence[str]) -> list[int]:
        """Seconds left on each key (0 for a key that is not there or never expires)."""
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.ttl(key)
            found = await pipe.execute()
        return [max(int(t), 0) for t in found]

    @unreachable
    async def hold(self, key: str, seconds: int) -> None:
        """A marker that is there for `seconds` (a wait someone must sit out)."""
        await self.client.set(key, b"1", ex=max(int(seconds), 1))

    @unreachable
    async def delete(self, *keys: str) -> None:
        if keys:
            await self.client.delete(*keys)

    async def keep_subscribed(
        self,
        deliver: Callable[[dict[str, Any]], None],
        subscribed: asyncio.Event,
        what: str,
        *,
        channels: Sequence[str] = (),
        patterns: Sequence[str] = (),
    ) -> None:
        """Hand every message on `channels` and `patterns` to `deliver`, forever.

        A dropped connection is subscribed again, with back-off. `subscribed` is set once
        the first subscription stands, so a caller can wait for it before publishing
        anything it must not miss.
        """
        listener = self._listener
        if listener is None:
            raise RuntimeError("RedisStore.start() was not called")
        delay = 0.1
        while True:
            pubsub = listener.pubsub(ignore_subscribe_messages=True)
            try:
                if channels:
                    await pubsub.subscribe(*channels)
                if patterns:
                    await pubsub.psubscribe(*patterns)
                subscribed.set()
                delay = 0.1
                async for message in pubsub.listen():
                    deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s subscription lost (%s); resubscribing", what, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
