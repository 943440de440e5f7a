"""The command pipeline every domain agent shares: parse, dedupe, handle, emit, record.

Delivery is at-least-once; effects are exactly-once because the outcome of every command
is recorded in the same transaction as its change, and a known command id only re-emits
what was recorded.

A store or the broker being away is waited out, however long: a valid command is never
sent to the DLQ for it. Only a command that keeps failing while everything answers (a
bug) goes there, after a few attempts, so one message never holds its partition forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from opentelemetry.trace import Span
from pydantic import ValidationError

from agents.audit_trail import change_entries
from agents.context import Applied, BatchHandler, HandlerContext, Result, landing
from agents.integrations.refusals import integration_id_of, rejected_message
from agents.ledger import ledger_row
from agents.metrics import (
    COMMAND_STAGE_SECONDS,
    COMMANDS,
    DEAD_LETTERS,
    HANDLER_SECONDS,
    STEP_SECONDS,
    timed,
)
from core.clock import utcnow
from core.errors import (
    InvalidCommand,
    RTError,
    StoreUnavailable,
    SubjectErased,
    TooLate,
    UnknownCommand,
    failure_reason,
    validation_summary,
)
from core.logging import COMMAND_ID, TENANT_ID
from core.trace_context import Headers, consuming, trace_headers
from domain import backdating
from stores.postgres import audit
from stores.postgres import commands as ledger
from stores.postgres.commands import CommandKey
from stores.postgres.keys import delete_unused_person_keys
from stores.sealing import Sealer
from topics import personal
from topics.batches import ROW_TYPES, MalformedBatch, batch_events, row_commands
from topics.envelopes import (
    BatchSummary,
    CommandEnvelope,
    CommandOutcome,
    EventEnvelope,
    RowRefusal,
)
from topics.erasures import record_of
from topics.names import ERASURES
from topics.sealing import has_sealed

log = logging.getLogger(__name__)

Message = tuple[bytes | None, bytes | None]
"""(key, value) of a command message."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A command message as the broker delivered it."""

    key: bytes | None
    value: bytes | None
    appended_at: datetime | None = None
    """When the broker appended it (command topics use log-append time)."""
    headers: Headers = ()
    """Its Kafka headers: `traceparent` names the span that published it."""


Arrivals = Mapping[CommandKey, datetime | None]


OutgoingMessage = tuple[str, bytes, bytes | None, list[tuple[str, bytes]] | None]
"""(topic, key, value, headers)."""


class Publisher(Protocol):
    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None: ...

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send in order and return once the broker has acknowledged every one."""
        ...


SET_SIZE = 200
"""At most this many commands are applied in one transaction. A batch from a backlog (a
restarted worker's first) commits in parts, each within a second or so, rather than all at
once after many: commands apply again soon after a restart, and a worker stopped mid-batch
has less to finish."""


SET_ROWS = 2000
"""A set of batch commands (an import's) holds at most this many rows, whatever
`set_size`: one transaction stays a second or so however big the batches are."""


def _weight(command: CommandEnvelope) -> int:
    """What a command counts for in a set: a batch its rows, anything else one."""
    if command.type not in ROW_TYPES:
        return 1
    rows = command.payload.get("rows")
    return max(1, len(rows)) if isinstance(rows, list) else 1


def _sets(
    group: list[tuple[Arrival, CommandEnvelope]], set_size: int
) -> list[list[tuple[Arrival, CommandEnvelope]]]:
    """The group in sets of at most `set_size` commands and SET_ROWS rows (at least one
    command each)."""
    sets: list[list[tuple[Arrival, CommandEnvelope]]] = []
    current: list[tuple[Arrival, CommandEnvelope]] = []
    weight = 0
    for item in group:
        w = _weight(item[1])
        if current and (len(current) >= set_size or weight + w > max(set_size, SET_ROWS)):
            sets.append(current)
            current, weight = [], 0
        current.append(item)
        weight += w
    if current:
        sets.append(current)
    return sets


@dataclass(frozen=True, slots=True)
class _Units:
    """A set's commands as the ledger sees them: a batch command's rows stand for it, each
    the single command it is (topics/batches.py); any other command stands for itself."""

    units: list[CommandEnvelope]
    rows: dict[CommandKey, list[tuple[int, CommandEnvelope]]]
    """Each well-formed batch's (row index, row command), by the batch's key."""
    malformed: dict[CommandKey, RTError]
    """Batches refused whole (their rows cannot be told apart), by the batch's key."""


def _units(commands: Sequence[CommandEnvelope]) -> _Units:
    units: list[CommandEnvelope] = []
    rows: dict[CommandKey, list[tuple[int, CommandEnvelope]]] = {}
    malformed: dict[CommandKey, RTError] = {}
    for command in commands:
        if command.type not in ROW_TYPES:
            units.append(command)
            continue
        try:
            found = row_commands(command)
        except MalformedBatch as exc:
            malformed[_key(command)] = InvalidCommand(str(exc), field="rows")
            units.append(command)
            continue
        rows[_key(command)] = found
        units.extend(row for _, row in found)
    return _Units(units, rows, malformed)


class ConcurrentDelivery(Exception):
    """Another delivery of one of the commands recorded its outcome first."""


# Worth waiting out, however long: the world will change (a store comes back, a racing
# delivery finishes), not the command.
TRANSIENT: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    ConcurrentDelivery,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 8
    first_delay: float = 0.2
    max_delay: float = 10.0

    def delays(self) -> list[float]:
        return [min(self.first_delay * 2**i, self.max_delay) for i in range(self.attempts - 1)]


def _key(command: CommandEnvelope) -> CommandKey:
    return (command.tenant_id, command.command_id)


def _too_late(command: CommandEnvelope, arrivals: Arrivals) -> TooLate | None:
    return too_late(command, arrivals.get(_key(command)))


def too_late(command: CommandEnvelope, appended_at: datetime | None) -> TooLate | None:
    """The refusal of a command the broker appended after its deadline (None: on time, or
    no deadline, or a topic without log-append time to judge by)."""
    if command.deadline is None or appended_at is None or appended_at <= command.deadline:
        return None
    return TooLate(
        f"the broker took this command at {appended_at.isoformat()}, after its deadline "
        f"{command.deadline.isoformat()}: its sender was told it failed, so it is not applied",
        appended_at=appended_at.isoformat(),
    )


def _backdating_refused(command: CommandEnvelope, now: datetime) -> RTError | None:
    """A past `occurred_at` is for jobs replaying history only (domain/backdating.py)."""
    return backdating.refusal(
        command.occurred_at,
        actor_kind=command.actor.kind,
        deadline=command.deadline,
        address=command.address,
        now=now,
    )


def _erased(command: CommandEnvelope) -> SubjectErased:
    return SubjectErased(
        f"the person this {command.type} is about was erased: its personal fields can no "
        "longer be read, so it is not applied"
    )


async def _sealed_all(
    sealer: Sealer, results: Sequence[Result]
) -> tuple[list[Result], dict[int, EventEnvelope]]:
    """The results with their events' personal fields sealed, as they are kept and sent:
    every event of the set in one call, so the people's keys come in one round trip.

    And, by the result's index, the sealed event whose data is the result's resource,
    where that event may be announced (`_announceable`)."""
    events = [e for r in results if isinstance(r, Applied) for e in r.events]
    if not events:
        return list(results), {}
    sealed = iter(await sealer.seal_events(events))
    out: list[Result] = []
    carriers: dict[int, EventEnvelope] = {}
    for i, result in enumerate(results):
        if isinstance(result, Applied) and result.events:
            own = [next(sealed) for _ in result.events]
            out.append(Applied(result.resource_id, own, result.resource))
            for plain, event in zip(result.events, own, strict=True):
                if result.resource is not None and plain.data is result.resource:
                    if _announceable(event):
                        carriers[i] = event
                    break
        else:
            out.append(result)
    return out, carriers


def _announceable(event: EventEnvelope) -> bool:
    """Whether the event may ride on the outcome's announcement through Redis: as the
    events topic carries it, with no personal field in the clear (a type with none, or one
    whose personal fields are sealed; not when sealing is off)."""
    spec = personal.EVENTS.get(event.type)
    return spec is None or (event.subject_id is not None and has_sealed(event.data, spec.paths))


def _parse(value: bytes | None) -> CommandEnvelope | ValidationError:
    try:
        return CommandEnvelope.model_validate_json(value or b"")
    except ValidationError as exc:
        return exc


class CommandProcessor:
    def __init__(
        self,
        ctx: HandlerContext,
        handlers: Mapping[str, BatchHandler],
        publisher: Publisher,
        *,
        events_topic: str,
        dlq_topic: str,
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
        event_topics: Mapping[str, str] | None = None,
        namespace: str | None = None,
        set_size: int = SET_SIZE,
    ) -> None:
        self.ctx = ctx
        self.handlers = handlers
        self.publisher = publisher
        self.events_topic = events_topic
        self.dlq_topic = dlq_topic
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        # A command may change another domain's aggregate (a placement fills a requisition):
        # its event goes to that domain's topic, found by the event type's first word.
        self.event_topics = dict(event_topics or {})
        # Where integrations read about their commands (None: nobody to tell, in tests).
        self.namespace = namespace
        self.set_size = max(1, set_size)
        # When the batch being applied reached the processor (for COMMAND_STAGE_SECONDS).
        self._handed_at: float | None = None

    async def process_batch(self, messages: Sequence[Message | Arrival]) -> None:
        """Apply a batch set-wise where it is safe, the rest one by one; never raises.

        The first command of each aggregate (key) in the batch is applied together with
        the other aggregates' first commands of the same type, in transactions of at most
        `set_size` commands. Any
        later command of an aggregate runs after that, in order, so every aggregate's
        history stays ordered.
        """
        self._handed_at = time.monotonic()
        first: dict[str, list[tuple[Arrival, CommandEnvelope]]] = defaultdict(list)
        later: dict[bytes | None, list[Arrival]] = defaultdict(list)
        for message in messages:
            arrival = message if isinstance(message, Arrival) else Arrival(*message)
            key = arrival.key
            parsed = _parse(arrival.value) if key not in later else None
            if isinstance(parsed, CommandEnvelope) and parsed.type in self.handlers:
                first[parsed.type].append((arrival, parsed))
                later[key] = []  # marks the key as seen
            else:
                later[key].append(arrival)
        for group in first.values():
            for part in _sets(group, self.set_size):
                await self._apply_set(part)
        gate = asyncio.Semaphore(self.concurrency)

        async def in_order(arrivals: list[Arrival]) -> None:
            async with gate:
                for arrival in arrivals:
                    await self.process(arrival)

        await asyncio.gather(*(in_order(arrivals) for arrivals in later.values() if arrivals))

    async def _apply_set(self, group: list[tuple[Arrival, CommandEnvelope]]) -> None:
        commands = [command for _, command in group]
        try:
            with _applying(commands, [arrival.headers for arrival, _ in group]):
                await self._apply(
                    commands, {_key(command): arrival.appended_at for arrival, command in group}
                )
        except Exception as exc:
            # One bad apple (or a race, or a store away) fails the set; one by one isolates
            # it, and waits out what is transient.
            log.warning("set-wise apply of %d commands failed (%r); one by one", len(group), exc)
            for arrival, _ in group:
                await self.process(arrival)

    async def process(self, message: Arrival | bytes | None, value: bytes | None = None) -> None:
        """Never raises: whatever happens, the message ends applied, rejected or in the DLQ.

        (`process(key, value)` is also accepted, for a message with no arrival time.)
        """
        arrival = message if isinstance(message, Arrival) else Arrival(message, value)
        key, value = arrival.key, arrival.value
        command = _parse(value)
        if isinstance(command, ValidationError):
            why = f"unparseable command envelope: {validation_summary(command)}"
            await self.dead_letter(key, value, why)
            return
        arrivals = {_key(command): arrival.appended_at}
        delays = self.retry.delays()
        attempt = 0
        while True:
            try:
                with _applying([command], [arrival.headers]):
                    await self._apply([command], arrivals)
                return
            except TRANSIENT as exc:
                # Not the command's fault: wait however long it takes, never the DLQ.
                delay = delays[min(attempt, len(delays) - 1)] if delays else self.retry.max_delay
                log.warning(
                    "command %s waits for a store or the broker (%r); again in %.1fs",
                    command.command_id,
                    exc,
                    delay,
                )
            except Exception as exc:
                if attempt >= len(delays):
                    log.exception("command %s failed for good", command.command_id)
                    await self._give_up(key, value, command, exc)
                    return
                delay = delays[attempt]
                log.warning(
                    "command %s attempt %d failed (%r); retrying",
                    command.command_id,
                    attempt + 1,
                    exc,
                )
            attempt += 1
            await asyncio.sleep(delay)

    async def _apply(self, commands: Sequence[CommandEnvelope], arrivals: Arrivals) -> None:
        """Apply commands of one type in one transaction, then emit and record outcomes.

        A batch command is applied as its rows (`_units`): each row is ledgered, audited
        and judged as the single command it stands for, so a redelivered batch finds its
        rows done; its events leave as one batch event and its outcome is one summary.
        """
        await self.ctx.stores.start()
        # What the lines written meanwhile are about (a set of one names its command).
        tenants = {str(c.tenant_id) for c in commands}
        TENANT_ID.set(tenants.pop() if len(tenants) == 1 else None)
        COMMAND_ID.set(str(commands[0].command_id) if len(commands) == 1 else None)
        sealer = self.ctx.stores.sealer
        split = _units(commands)
        units = split.units
        # A row arrived when its batch did.
        arrivals = {**arrivals}
        for batch_key, members in split.rows.items():
            arrivals.update({_key(row): arrivals.get(batch_key) for _, row in members})
        handler = self.handlers.get(ROW_TYPES.get(commands[0].type, commands[0].type))
        results: dict[CommandKey, Result] = {}
        carriers: dict[CommandKey, EventEnvelope] = {}
        dumped: dict[UUID, dict[str, Any]] = {}
        with timed("open sealed commands"):
            opened = await sealer.open_commands(units)
        readable = {_key(c): o for c, o in zip(units, opened, strict=True) if o is not None}
        began = time.monotonic()
        if self._handed_at is not None:
            COMMAND_STAGE_SECONDS.labels("opened").observe(began - self._handed_at)
        # `landing` inside the transaction: what a handler writes beside it (MongoDB) has
        # landed before the commit, and a failure there rolls the transaction back.
        async with self.ctx.stores.db.transaction() as conn, landing() as beside:
            with timed("ledger: read"):
                priors = await ledger.get_processed_many(conn, [_key(c) for c in units])
            fresh = [c for c in units if _key(c) not in priors]
            late: dict[CommandKey, RTError] = {
                _key(c): error for c in fresh if (error := split.malformed.get(_key(c)))
            }
            late.update({_key(c): e for c in fresh if (e := _too_late(c, arrivals))})
            late.update({_key(c): _erased(c) for c in fresh if _key(c) not in readable})
            late.update({_key(c): no for c in fresh if (no := _backdating_refused(c, utcnow()))})
            on_time = [readable[_key(c)] for c in fresh if _key(c) not in late]
            if fresh:
                results = dict(late)
                if on_time and handler is None:
                    known = ", ".join(sorted(self.handlers))
                    unknown = UnknownCommand(
                        f"unknown command type '{commands[0].type}'; this topic takes: {known}"
                    )
                    results.update(dict.fromkeys((_key(c) for c in on_time), unknown))
                elif on_time and handler is not None:
                    with HANDLER_SECONDS.labels(commands[0].type).time(), timed("handler"):
                        outcomes = await handler(on_time, self.ctx, conn)
                    with timed("seal events"):
                        sealed, carried = await _sealed_all(sealer, outcomes)
                    results.update({_key(c): r for c, r in zip(on_time, sealed, strict=True)})
                    carriers.update({_key(on_time[i]): e for i, e in carried.items()})
                # A refused create leaves a key that no record belongs to, sealing a command
                # that stays in its topic: without the key, that command says nothing.
                refused: dict[UUID, set[UUID]] = defaultdict(set)
                for c in fresh:
                    if c.subject_id and not isinstance(results[_key(c)], Applied):
                        refused[c.tenant_id].add(c.subject_id)
                for tenant_id, subject_ids in refused.items():
                    await delete_unused_person_keys(conn, tenant_id, subject_ids)
                dumped = {
                    e.event_id: e.model_dump(mode="json")
                    for r in results.values()
                    if isinstance(r, Applied)
                    for e in r.events
                }
                with timed("ledger: write"):
                    rows = [ledger_row(c, results[_key(c)], dumped) for c in fresh]
                    if not await ledger.record_processed_many(conn, rows):
                        raise ConcurrentDelivery("rolled back: a command was already recorded")
                # The handler's writes to MongoDB have landed before the audit head is
                # locked, so that lock never waits for them.
                await beside.land()
                # Last in the transaction: the agency's audit head stays locked only until
                # the commit, and a change, its ledger row and its audit entry commit
                # together (a replay, found in the ledger above, adds no entry).
                with timed("audit entries"):
                    entries = change_entries(fresh, [results[_key(c)] for c in fresh])
                    await audit.append(conn, entries)
            committing = time.perf_counter()
        STEP_SECONDS.labels("commit").observe(time.perf_counter() - committing)
        committed = time.monotonic()
        COMMAND_STAGE_SECONDS.labels("transaction").observe(committed - began)
        done: dict[CommandKey, tuple[list[EventEnvelope], CommandOutcome]] = {}
        told: list[OutgoingMessage] = []
        for command in units:
            prior = priors.get(_key(command))
            if prior is not None:
                # A replay: re-emit exactly what was recorded, change nothing.
                done[_key(command)] = (
                    [EventEnvelope.model_validate(e) for e in prior["events"]],
                    _outcome(command, prior["status"], prior["resource_id"], prior["error"]),
                )
                continue
            result = results[_key(command)]
            if isinstance(result, Applied):
                done[_key(command)] = (
                    list(result.events),
                    _outcome(
                        command,
                        "applied",
                        result.resource_id,
                        None,
                        result.resource,
                        carriers.get(_key(command)),
                    ),
                )
            else:
                done[_key(command)] = ([], _outcome(command, "rejected", None, result.as_dict()))
                told.extend(self._tell_integration(command, result.as_dict()))
        events: list[EventEnvelope] = []
        finals: list[CommandOutcome] = []
        for command in commands:
            rows_of = split.rows.get(_key(command))
            if rows_of is None:
                own_events, final = done[_key(command)]
                events.extend(own_events)
                finals.append(final)
                continue
            row_events = [e for _, row in rows_of for e in done[_key(row)][0]]
            events.extend(batch_events(command, row_events, dumped))
            finals.append(_batch_outcome(command, [(i, done[_key(row)][1]) for i, row in rows_of]))
        quiet = {_key(c) for c in commands if not c.reply}
        # The outcome wakes the waiting request while the broker acknowledges the events,
        # not after: both are done again from the ledger if either fails (the batch's
        # offsets are not committed until this returns), and the change is committed.
        # The outcomes go first, before the events are made into messages.
        with timed("events and outcomes"):
            await asyncio.gather(self._record(finals, quiet, committed), self._emit(events))
        COMMAND_STAGE_SECONDS.labels("settled").observe(time.monotonic() - committed)
        if told:
            await self.publisher.publish_many(told)

    async def _record(
        self, finals: list[CommandOutcome], quiet: set[CommandKey], committed: float
    ) -> None:
        await self.ctx.stores.redis.record_outcomes(finals, quiet=quiet)
        COMMAND_STAGE_SECONDS.labels("outcomes").observe(time.monotonic() - committed)

    def _tell_integration(
        self, command: CommandEnvelope, error: dict[str, Any]
    ) -> list[OutgoingMessage]:
        """An integration reads its refusals on its agency's topic (nobody waits on it)."""
        integration_id = integration_id_of(command)
        if integration_id is None or self.namespace is None:
            return []
        return [
            rejected_message(
                self.namespace,
                command.tenant_id,
                integration_id,
                command.command_id,
                command.type,
                error,
            )
        ]

    def _topic_for(self, event: EventEnvelope) -> str:
        return self.event_topics.get(event.type.split(".", 1)[0], self.events_topic)

    async def _emit(self, events: list[EventEnvelope]) -> None:
        messages: list[OutgoingMessage] = []
        for event in events:
            topic, key = self._topic_for(event), str(event.aggregate_id).encode()
            value = event.model_dump_json().encode()
            # The span of the set that made it, for whoever follows the event.
            headers = [("event_type", event.type.encode()), *trace_headers()]
            messages.append((topic, key, value, headers))
            if event.type.endswith(".erased"):
                # An erasure ends with a tombstone, after its event, so that compaction
                # removes every record of the aggregate from the topic.
                messages.append((topic, key, None, None))
            erased = record_of(event) if self.namespace is not None else None
            if erased is not None and self.namespace is not None:
                # And the register keeps who it was (ids only) for a restore to erase again.
                register = ERASURES.name(self.namespace)
                messages.append((register, erased.key, erased.model_dump_json().encode(), None))
        await self.publisher.publish_many(messages)

    async def _give_up(
        self, key: bytes | None, value: bytes | None, command: CommandEnvelope, exc: Exception
    ) -> None:
        reason = f"processing failed after {self.retry.attempts} attempts: {failure_reason(exc)}"
        await self.dead_letter(key, value, reason)
        try:
            error = {"code": "processing_failed", "message": reason}
            await self.ctx.stores.redis.record_outcomes(
                [_outcome(command, "rejected", None, error)]
            )
        except Exception:
            log.exception("could not record the outcome of %s", command.command_id)

    async def dead_letter(self, key: bytes | None, value: bytes | None, reason: str) -> None:
        await dead_letter(self.publisher, self.retry, self.dlq_topic, key, value, reason)


async def dead_letter(
    publisher: Publisher,
    retry: RetryPolicy,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    reason: str,
) -> None:
    """Put a message on its DLQ with the reason; until the DLQ has it the message must not
    be acknowledged, so this waits out a broker outage rather than dropping it."""
    log.warning("dead-lettering a message to %s: %s", topic, reason)
    DEAD_LETTERS.labels(topic).inc()
    delay = retry.first_delay
    while True:
        try:
            await publisher.publish(
                topic, key or b"", value or b"", [("reason", reason.encode()[:4000])]
            )
            return
        except Exception as exc:
            log.warning("DLQ publish failed (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry.max_delay)


def _applying(
    commands: Sequence[CommandEnvelope], carriers: Sequence[Headers]
) -> AbstractContextManager[Span]:
    """The span of one transaction's commands (one type): a child of the publishing span
    for a command applied alone, linked to each command's publishing span for a set; the
    store calls inside are its children, the events emitted carry it."""
    attributes: dict[str, str | int] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.batch.message_count": len(commands),
        "refactortrack.command_type": commands[0].type,
    }
    if len(commands) == 1:
        attributes["refactortrack.command_id"] = str(commands[0].command_id)
        attributes["refactortrack.tenant_id"] = str(commands[0].tenant_id)
    return consuming(f"apply {commands[0].type}", carriers, attributes)


def _batch_outcome(
    batch: CommandEnvelope, rows: Sequence[tuple[int, CommandOutcome]]
) -> CommandOutcome:
    """One outcome for a batch command: its rows counted, each refused row named."""
    refused = [
        RowRefusal(
            row=index,
            code=str((o.error or {}).get("code", "rejected")),
            message=str((o.error or {}).get("message", "")),
            duplicate_of=(o.error or {}).get("duplicate_of"),
        )
        for index, o in rows
        if o.status != "applied"
    ]
    summary = BatchSummary(rows=len(rows), applied=len(rows) - len(refused), refused=refused)
    return CommandOutcome(
        command_id=batch.command_id,
        tenant_id=batch.tenant_id,
        type=batch.type,
        status="applied",
        batch=summary,
    )


def _outcome(
    command: CommandEnvelope,
    status: str,
    resource_id: UUID | None,
    error: dict[str, Any] | None,
    resource: dict[str, Any] | None = None,
    resource_event: EventEnvelope | None = None,
) -> CommandOutcome:
    COMMANDS.labels(command.type, status).inc()
    return CommandOutcome.model_validate(
        {
            "command_id": command.command_id,
            "tenant_id": command.tenant_id,
            "type": command.type,
            "status": status,
            "resource_id": resource_id,
            "error": error,
            "resource": resource,
            "resource_event": resource_event,
        }
    )
