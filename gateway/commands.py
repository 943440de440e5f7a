"""Turns a request into a command on its topic and (by default) waits for the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from core import jsoncodec
from core.clock import utcnow
from core.errors import InvalidCommand, RTError, TooLate, Unavailable
from core.logging import COMMAND_ID
from core.trace_context import TRACER, trace_headers
from gateway import server_timing
from gateway.admission import arrived_at, busy, command_sent
from gateway.auth import Principal
from gateway.metrics import COMMAND_WAITS
from gateway.outcomes import OutcomeWaiter
from stores.kafka import CommandPublisher
from stores.redis import RedisStore, idempotency_key
from stores.sealing import Sealer
from topics.envelopes import Actor, CommandEnvelope, CommandOutcome, EventEnvelope
from topics.names import TopicSpec

# Namespace for command ids derived from Idempotency-Key, so a retried request is the
# same command all the way to the agent's ledger.
IDEMPOTENCY_NAMESPACE = uuid.UUID("2f1b6f5e-8a7c-4d0e-9a53-6a3f0c4e7b21")


class CommandBus:
    def __init__(
        self,
        publisher: CommandPublisher,
        redis: RedisStore,
        sealer: Sealer,
        waiter: OutcomeWaiter,
        *,
        wait_seconds: float,
        namespace: str,
        publish_seconds: float = 3.0,
    ) -> None:
        self._publisher = publisher
        self._redis = redis
        self._sealer = sealer
        self._waiter = waiter
        self._wait_seconds = wait_seconds
        self._namespace = namespace
        self._publish_seconds = publish_seconds

    async def submit(
        self,
        principal: Principal,
        *,
        topic: TopicSpec,
        type: str,
        key: UUID,
        payload: dict[str, Any],
        fingerprint: Any,
        wait: bool,
        idempotency: str | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Publish the command; return its final outcome, or `accepted` when not waiting.

        `fingerprint` is what makes two requests "the same" for Idempotency-Key: the
        caller's body, not the ids the gateway generated for it.
        """
        # The broker has COMMAND_PUBLISH_SECONDS from the request's arrival to take the
        # command, whatever the request waited for before (gateway/admission.py).
        margin = _margin(self._publish_seconds)
        until = arrived_at() + self._publish_seconds
        if until - time.monotonic() <= margin:
            raise busy()  # it waited too long to get here: refused before any work
        command_id = uuid.uuid4()
        if idempotency is not None:
            command_id = await self._idempotent_id(principal, idempotency, type, fingerprint)
            done = await self._redis.get_outcome(principal.tenant_id, command_id)
            if done is not None and done.status != "accepted":
                return done
        COMMAND_ID.set(str(command_id))
        accepted = CommandOutcome(
            command_id=command_id,
            tenant_id=principal.tenant_id,
            type=type,
            status="accepted",
            resource_id=key,
        )
        tenant_id = principal.tenant_id
        future = self._waiter.register(tenant_id, command_id) if wait else None
        # The outcome key is written while the command is sealed: both come before the
        # publish and neither needs the other, and each is a round trip and a turn of a
        # busy event loop.
        marking = asyncio.ensure_future(self._redis.mark_accepted(accepted))
        marking.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            # Personal fields leave this process sealed with the person's key (made here
            # for a new person): erasing the person later makes every copy unreadable.
            with server_timing.timed("send-seal"):
                envelope = await self._sealer.seal_command(
                    CommandEnvelope(
                        command_id=command_id,
                        type=type,
                        tenant_id=principal.tenant_id,
                        actor=Actor(id=str(principal.id), kind=principal.kind),
                        expected_version=expected_version,
                        address=principal.address,
                        payload=payload,
                    )
                )
        except BaseException as exc:
            if future is not None:
                self._waiter.forget(tenant_id, command_id, future)
            await self._unmark(marking, accepted, exc)
            raise
        try:
            await marking
            left = until - time.monotonic()
            if left <= margin:
                raise busy()
            # The worker applies the command only if the broker appended it by
            # `deadline`, which falls a little before this gateway stops waiting for the
            # broker: an append it has not heard of by then is late, and refused, so a
            # 503 is never a ghost write (as long as the broker's acknowledgement takes
            # less than the margin).
            now = utcnow()
            deadline = now + timedelta(seconds=left - margin)
            envelope = envelope.model_copy(update={"issued_at": now, "deadline": deadline})
            with server_timing.timed("send-publish"):
                appended_at = await self._publish(
                    topic.name(self._namespace), key, envelope, wait=left
                )
            if appended_at is not None and appended_at > deadline:
                raise Unavailable("the broker took the command too late; it will not be applied")
        except Unavailable as refused:
            if future is not None:
                self._waiter.forget(tenant_id, command_id, future)
            await self._tell_refused(accepted, refused)
            raise
        except BaseException:
            if future is not None:
                self._waiter.forget(tenant_id, command_id, future)
            raise
        server_timing.note("send", time.monotonic() - arrived_at())
        command_sent()
        if future is None:
            COMMAND_WAITS.labels(type, "async").inc()
            return accepted
        outcome = await self._waiter.wait(tenant_id, command_id, future, self._wait_seconds)
        COMMAND_WAITS.labels(type, "timed_out" if outcome is None else "settled").inc()
        if outcome is not None and outcome.resource_event is not None:
            with server_timing.timed("open"):
                outcome = await self._opened(outcome, outcome.resource_event)
        return outcome or accepted

    async def _opened(self, outcome: CommandOutcome, event: EventEnvelope) -> CommandOutcome:
        """The outcome with its resource, opened from the event its announcement carried
        (the person's key is most likely in this process's keyring: it sealed the
        command). Without the key (the person was erased meanwhile) the resource stays
        unknown and the route reads the stores, as for an outcome with no event."""
        opened = await self._sealer.open_events([event])
        resource = opened[0].data if opened else None
        return outcome.model_copy(update={"resource": resource, "resource_event": None})

    async def _publish(
        self, topic: str, key: UUID, envelope: CommandEnvelope, *, wait: float
    ) -> datetime | None:
        """Publish under a span of its own, the request's child, whose context the message
        carries (`traceparent`): the worker's span that applies it points back at it."""
        with TRACER.start_as_current_span(
            f"publish {envelope.type}",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.kafka.message.key": str(key),
                "refactortrack.command_id": str(envelope.command_id),
                "refactortrack.tenant_id": str(envelope.tenant_id),
            },
        ):
            return await self._publisher.publish(
                topic,
                str(key),
                envelope.model_dump_json().encode(),
                headers=[("command_type", envelope.type.encode()), *trace_headers()],
                wait=wait,
            )

    async def _idempotent_id(
        self, principal: Principal, idempotency: str, type: str, fingerprint: Any
    ) -> UUID:
        """The command id a request with this Idempotency-Key is sent under.

        The same key names the same command, all the way to the agent's ledger, so a
        retried request is applied once. But an attempt that was refused as never applied
        (503: the broker did not take it in time) leaves nothing to repeat: a retry is a
        new attempt, under an id of its own, that a late copy of the old one cannot shadow.
        """
        base = f"{principal.tenant_id}:{principal.id}:{idempotency}"
        digest = hashlib.sha256(jsoncodec.dumps([type, fingerprint])).hexdigest()
        key = idempotency_key(principal.tenant_id, str(principal.id), idempotency)
        first = uuid.uuid5(IDEMPOTENCY_NAMESPACE, base)
        earlier = await self._redis.claim_idempotency_key(
            key, {"command_id": str(first), "digest": digest, "attempt": 0}
        )
        if earlier is None:
            return first
        if earlier.get("digest") != digest:
            raise InvalidCommand(
                "this Idempotency-Key was already used with a different request; "
                "send a new key for a new request",
                code_detail="idempotency_key_reused",
            )
        command_id = UUID(str(earlier["command_id"]))
        done = await self._redis.get_outcome(principal.tenant_id, command_id)
        if done is None or not _never_applied(done):
            return command_id
        attempt = int(earlier.get("attempt", 0)) + 1
        retry = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{base}:{attempt}")
        await self._redis.replace_idempotency_key(
            key, {"command_id": str(retry), "digest": digest, "attempt": attempt}
        )
        return retry

    async def _unmark(
        self, marking: asyncio.Future[None], accepted: CommandOutcome, failed: BaseException
    ) -> None:
        """The command failed before it was sent: the outcome key written meanwhile (if it
        was) says why, never `accepted` for a command that will not be applied."""
        with contextlib.suppress(Exception):
            await marking
            refusal = (
                failed
                if isinstance(failed, RTError)
                else Unavailable("the command could not be sealed, so it was not sent")
            )
            await self._tell_refused(accepted, refusal)

    async def _tell_refused(self, accepted: CommandOutcome, refused: RTError) -> None:
        """GET /commands/{id} says what the answer said: this command will not be applied."""
        outcome = accepted.model_copy(
            update={"status": "rejected", "resource_id": None, "error": refused.as_dict()}
        )
        with contextlib.suppress(Exception):
            await self._redis.record_outcomes(
                [outcome], quiet={(outcome.tenant_id, outcome.command_id)}
            )


NEVER_APPLIED = frozenset({Unavailable.code, TooLate.code})
"""Refusals that mean the command was not applied and never will be."""


def _never_applied(outcome: CommandOutcome) -> bool:
    return outcome.status == "rejected" and (outcome.error or {}).get("code") in NEVER_APPLIED


def _margin(publish_seconds: float) -> float:
    """How much earlier than the gateway's wait ends the deadline falls."""
    return min(0.5, publish_seconds / 4)
