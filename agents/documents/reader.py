"""The resume reader: reads the files `document.attach` names, outside any transaction.

An agent of its own on a topic of its own (`rt.documents.commands`), so a file that takes
the whole of its limits to be refused holds up other resumes at most, never the candidates
agent that applies every agency's creates. Each file is read in the sandbox (a child
process with limits); the result goes to the candidates agent as a `document.record`
command carrying the attach's command id, keyed by the candidate, where the row is written
in the processor's transaction, in order with the candidate's other commands, and the
outcome recorded under the id the gateway waits on. A redelivered attach is read again and
sends the same record, which the candidates agent's ledger recognises.

The reader itself writes only the text beside the stored file (idempotent). A command it
cannot read as an attach is rejected (its outcome recorded directly); a message that is
not a command goes to `rt.documents.commands.dlq`; a store or the broker failing is
retried with back-off, and a command that keeps failing is dead-lettered and rejected.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import faust
from pydantic import ValidationError

from agents.command_agent import arrival_of
from agents.documents.sandbox import ParseSandbox
from agents.handling import parse_payload
from agents.processor import (
    TRANSIENT,
    Arrival,
    Message,
    Publisher,
    RetryPolicy,
    dead_letter,
    too_late,
)
from core.errors import (
    NotFound,
    RTError,
    SubjectErased,
    UnknownCommand,
    failure_reason,
    validation_summary,
)
from domain.resume_text import ParsedResume
from stores.bundle import Stores
from topics.candidates import (
    DOCUMENT_ATTACH,
    DOCUMENT_RECORD,
    DocumentAttach,
    DocumentRecord,
    Refusal,
)
from topics.envelopes import CommandEnvelope, CommandOutcome

log = logging.getLogger(__name__)

# Each command holds a file (up to MAX_UPLOAD_BYTES) while it is read: small batches,
# and no more commands in flight than the sandbox reads at once.
BATCH_SIZE = 16
BATCH_WINDOW_SECONDS = 0.05
MAX_REFUSAL_CHARS = 1000
TAKES = frozenset({DOCUMENT_ATTACH})
"""The command types on the reader's topic."""


class ResumeReader:
    def __init__(
        self,
        stores: Stores,
        sandbox: ParseSandbox,
        publisher: Publisher,
        *,
        record_topic: str,
        dlq_topic: str,
        concurrency: int = 2,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.stores = stores
        self.sandbox = sandbox
        self.publisher = publisher
        self.record_topic = record_topic
        self.dlq_topic = dlq_topic
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()

    async def process_batch(self, messages: Sequence[Message | Arrival]) -> None:
        """Read a batch, a candidate's files in order, candidates side by side; never raises."""
        by_key: dict[bytes | None, list[Arrival]] = defaultdict(list)
        for message in messages:
            arrival = message if isinstance(message, Arrival) else Arrival(*message)
            by_key[arrival.key].append(arrival)
        gate = asyncio.Semaphore(self.concurrency)

        async def in_order(arrivals: list[Arrival]) -> None:
            async with gate:
                for arrival in arrivals:
                    await self.process(arrival)

        await asyncio.gather(*(in_order(arrivals) for arrivals in by_key.values()))

    async def process(self, message: Arrival | bytes | None, value: bytes | None = None) -> None:
        """Never raises: the command ends handed over, rejected, or in the DLQ."""
        arrival = message if isinstance(message, Arrival) else Arrival(message, value)
        key, value = arrival.key, arrival.value
        try:
            command = CommandEnvelope.model_validate_json(value or b"")
        except ValidationError as exc:
            why = f"unparseable command envelope: {validation_summary(exc)}"
            await self.dead_letter(key, value, why)
            return
        if command.type not in TAKES:
            unknown = UnknownCommand(
                f"unknown command type '{command.type}'; this topic takes: {DOCUMENT_ATTACH}"
            )
            await self.reject(command, unknown.as_dict())
            return
        late = too_late(command, arrival.appended_at)
        if late is not None:
            await self.reject(command, late.as_dict())
            return
        opened = await self._open(command)
        if opened is None:
            gone = SubjectErased("the candidate this document belongs to was erased")
            await self.reject(command, gone.as_dict())
            return
        command = opened
        try:
            payload = parse_payload(DocumentAttach, command)
        except RTError as error:
            await self.reject(command, error.as_dict())
            return
        delays = self.retry.delays()
        record: DocumentRecord | None = None
        attempt = 0
        while True:
            try:
                # A file read once is not read again because the hand-over failed.
                record = record or await self._read(command, payload)
                await self._hand_over(command, record)
                return
            except TRANSIENT as exc:
                # A store or the broker away: waited out, never the DLQ.
                delay = delays[min(attempt, len(delays) - 1)] if delays else self.retry.max_delay
                log.warning(
                    "document %s waits for a store or the broker (%r)", payload.document_id, exc
                )
            except Exception as exc:
                if attempt >= len(delays):
                    log.exception("reading document %s failed for good", payload.document_id)
                    await self._give_up(key, value, command, exc)
                    return
                delay = delays[attempt]
                log.warning(
                    "reading document %s, attempt %d failed (%r); retrying",
                    payload.document_id,
                    attempt + 1,
                    exc,
                )
            attempt += 1
            await asyncio.sleep(delay)

    async def _open(self, command: CommandEnvelope) -> CommandEnvelope | None:
        """The command with its personal fields opened (None: the person was erased); the
        keys' store being away is waited out."""
        delay = self.retry.first_delay
        while True:
            try:
                return (await self.stores.sealer.open_commands([command]))[0]
            except TRANSIENT as exc:
                log.warning("opening command %s waits for Postgres (%r)", command.command_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry.max_delay)

    async def _read(self, command: CommandEnvelope, payload: DocumentAttach) -> DocumentRecord:
        """Read the stored file in the sandbox; its text goes beside it, the rest in the record."""
        parsed: ParsedResume | None = None
        refusal: RTError | None = None
        stored = await self.stores.files.content(command.tenant_id, payload.document_id)
        if stored is None:
            refusal = NotFound(f"no stored file for document {payload.document_id}")
        else:
            try:
                parsed = await self.sandbox.read(stored, payload.media_type)
            except RTError as error:
                log.info("document %s refused: %s", payload.document_id, error.message)
                refusal = error
        if parsed is not None:
            # Beside the file, not on the command: 200,000 characters may not fit a message.
            await self.stores.files.set_text(command.tenant_id, payload.document_id, parsed.text)
        return DocumentRecord(
            **payload.model_dump(),
            text_chars=len(parsed.text) if parsed else 0,
            skills=parsed.skills if parsed else [],
            refusal=_refusal(refusal) if refusal else None,
        )

    async def _hand_over(self, command: CommandEnvelope, record: DocumentRecord) -> None:
        """To the candidates agent, under the attach's own id: its outcome is the record's,
        recorded once by that agent's ledger."""
        # The deadline was the attach's, judged on its arrival here; the record is ours.
        envelope = await self.stores.sealer.seal_command(
            command.model_copy(
                update={
                    "type": DOCUMENT_RECORD,
                    "payload": record.model_dump(mode="json"),
                    "deadline": None,
                }
            )
        )
        await self.publisher.publish(
            self.record_topic,
            str(record.candidate_id).encode(),
            envelope.model_dump_json().encode(),
            [("command_type", DOCUMENT_RECORD.encode())],
        )

    async def reject(self, command: CommandEnvelope, error: dict[str, Any]) -> None:
        """Record a rejection straight away: nothing was read, so nothing else is to record."""
        outcome = CommandOutcome(
            command_id=command.command_id,
            tenant_id=command.tenant_id,
            type=command.type,
            status="rejected",
            error=error,
        )
        quiet = () if command.reply else ((command.tenant_id, command.command_id),)
        try:
            await self.stores.redis.record_outcomes([outcome], quiet=quiet)
        except Exception:
            log.exception("could not record the outcome of %s", command.command_id)

    async def _give_up(
        self, key: bytes | None, value: bytes | None, command: CommandEnvelope, exc: Exception
    ) -> None:
        reason = f"processing failed after {self.retry.attempts} attempts: {failure_reason(exc)}"
        await self.dead_letter(key, value, reason)
        await self.reject(command, {"code": "processing_failed", "message": reason})

    async def dead_letter(self, key: bytes | None, value: bytes | None, reason: str) -> None:
        await dead_letter(self.publisher, self.retry, self.dlq_topic, key, value, reason)


def _refusal(error: RTError) -> Refusal:
    # A parser's own words can run long; the record keeps what a person reads.
    said = error.as_dict()
    said["message"] = str(said["message"])[:MAX_REFUSAL_CHARS]
    return Refusal.model_validate(said)


def register(app: faust.App, reader: ResumeReader, topic: str) -> None:
    commands = app.topic(topic)

    async def read_resumes(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not (yet) on the StreamT protocol.
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for events in batches:
            await reader.process_batch([arrival_of(e.message) for e in events])

    app.agent(commands, name="documents.reader")(read_resumes)
