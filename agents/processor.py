"""The command pipeline every domain agent shares: parse, dedupe, handle, emit, record.

Delivery is at-least-once; effects are exactly-once because a handler records the command
id in the same transaction as its change, and a known id only re-emits what it recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.context import Applied, HandlerContext
from agents.ledger import record_rejected
from core.errors import RTError, UnknownCommand
from stores.postgres import commands as ledger
from topics.envelopes import CommandEnvelope, CommandOutcome, EventEnvelope

log = logging.getLogger(__name__)

Handler = Callable[[CommandEnvelope, HandlerContext, AsyncConnection], Awaitable[Applied]]


class Publisher(Protocol):
    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 8
    first_delay: float = 0.2
    max_delay: float = 10.0

    def delays(self) -> list[float]:
        return [min(self.first_delay * 2**i, self.max_delay) for i in range(self.attempts - 1)]


class CommandProcessor:
    def __init__(
        self,
        ctx: HandlerContext,
        handlers: Mapping[str, Handler],
        publisher: Publisher,
        *,
        events_topic: str,
        dlq_topic: str,
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
    ) -> None:
        self.ctx = ctx
        self.handlers = handlers
        self.publisher = publisher
        self.events_topic = events_topic
        self.dlq_topic = dlq_topic
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency

    async def process_batch(self, messages: Sequence[tuple[bytes | None, bytes | None]]) -> None:
        """Process a batch: one aggregate's commands in order, different aggregates at once.

        Commands are keyed by aggregate id, so grouping by key keeps every aggregate's
        history ordered while independent aggregates share the round trips to the stores.
        """
        by_key: dict[bytes | None, list[bytes | None]] = defaultdict(list)
        for key, value in messages:
            by_key[key].append(value)
        gate = asyncio.Semaphore(self.concurrency)

        async def in_order(key: bytes | None, values: list[bytes | None]) -> None:
            async with gate:
                for value in values:
                    await self.process(key, value)

        await asyncio.gather(*(in_order(k, vs) for k, vs in by_key.items()))

    async def process(self, key: bytes | None, value: bytes | None) -> None:
        """Never raises: whatever happens, the message ends applied, rejected or in the DLQ."""
        try:
            command = CommandEnvelope.model_validate_json(value or b"")
        except ValidationError as exc:
            await self.dead_letter(key, value, f"unparseable command envelope: {_summary(exc)}")
            return
        delays = self.retry.delays()
        for attempt in range(len(delays) + 1):
            try:
                await self._process(command)
                return
            except Exception as exc:
                if attempt == len(delays):
                    log.exception("command %s failed for good", command.command_id)
                    await self._give_up(key, value, command, exc)
                    return
                log.warning(
                    "command %s attempt %d failed (%s); retrying",
                    command.command_id,
                    attempt + 1,
                    exc,
                )
                await asyncio.sleep(delays[attempt])

    async def _process(self, command: CommandEnvelope) -> None:
        await self.ctx.stores.start()
        handler = self.handlers.get(command.type)
        applied: Applied | None = None
        error: RTError | None = None
        prior: dict[str, Any] | None = None
        # One transaction sees the ledger and makes the change, so a command is either
        # recorded with its effects or not at all; a rule violation rolls it all back.
        try:
            async with self.ctx.stores.db.transaction() as conn:
                prior = await ledger.get_processed(conn, command.command_id)
                if prior is None and handler is not None:
                    applied = await handler(command, self.ctx, conn)
        except RTError as exc:
            error = exc
        if prior is not None:
            # A replay: re-emit exactly what was recorded, change nothing.
            events = [EventEnvelope.model_validate(e) for e in prior["events"]]
            await self._emit(events)
            await self._record_outcome(
                command, prior["status"], resource_id=prior["resource_id"], error=prior["error"]
            )
            return
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            error = UnknownCommand(
                f"unknown command type '{command.type}'; this topic takes: {known}"
            )
        if error is not None:
            await self._reject(command, error)
            return
        assert applied is not None
        await self._emit(applied.events)
        await self._record_outcome(command, "applied", resource_id=applied.resource_id)

    async def _reject(self, command: CommandEnvelope, error: RTError) -> None:
        await record_rejected(self.ctx.stores.db, command, error)
        await self._record_outcome(command, "rejected", error=error.as_dict())

    async def _emit(self, events: list[EventEnvelope]) -> None:
        for event in events:
            await self.publisher.publish(
                self.events_topic,
                str(event.aggregate_id).encode(),
                event.model_dump_json().encode(),
                [("event_type", event.type.encode())],
            )

    async def _record_outcome(
        self, command: CommandEnvelope, status: str, **fields: object
    ) -> None:
        outcome = CommandOutcome.model_validate(
            {
                "command_id": command.command_id,
                "tenant_id": command.tenant_id,
                "type": command.type,
                "status": status,
                **fields,
            }
        )
        await self.ctx.stores.redis.record_outcome(outcome)

    async def _give_up(
        self, key: bytes | None, value: bytes | None, command: CommandEnvelope, exc: Exception
    ) -> None:
        reason = f"processing failed after {self.retry.attempts} attempts: {exc!r}"
        await self.dead_letter(key, value, reason)
        try:
            await self._record_outcome(
                command, "rejected", error={"code": "processing_failed", "message": reason}
            )
        except Exception:
            log.exception("could not record the outcome of %s", command.command_id)

    async def dead_letter(self, key: bytes | None, value: bytes | None, reason: str) -> None:
        log.warning("dead-lettering a message to %s: %s", self.dlq_topic, reason)
        delay = self.retry.first_delay
        # Until the DLQ has it the message must not be acknowledged, so this waits out
        # a broker outage rather than dropping the message.
        while True:
            try:
                await self.publisher.publish(
                    self.dlq_topic, key or b"", value or b"", [("reason", reason.encode()[:4000])]
                )
                return
            except Exception as exc:
                log.warning("DLQ publish failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry.max_delay)


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
