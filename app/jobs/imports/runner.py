"""`refactortrack import KIND`: a file published as create commands.

The whole file is read and checked first (`files.py`): a file that cannot be imported
sends nothing. Each row's references are then resolved against the agency
(`references.py`); a row whose reference names nothing is refused alone. Each row
becomes one command whose id derives from the tenant, the file's digest and the row's
line, so importing the same file again (after an interruption, say) replays the
commands: nothing is created twice and the summary is the same. The worker applies the
commands in bulk; the importer waits for every outcome in the command ledger.

Candidates travel as batches (`candidate.create_batch`, IMPORT_BATCH_ROWS rows each,
each row with its line as `row`): the batch's id derives from the tenant, the digest and
its first line, so a re-run with the same IMPORT_BATCH_ROWS sends the same batches, and
the worker's ledger, keyed per row, applies nothing twice. Each batch has one outcome
(counts and the refused rows by line), read from Redis; the report is the same as for
single commands.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from app.jobs.flat_records import KINDS, Kind
from app.jobs.imports.files import ImportFile, ImportRow, Mapping_, read_file
from app.jobs.imports.references import IMPORT_NAMESPACE, References, Unresolved, imported_id
from app.jobs.sending import CommandSender, Outcome, OutcomesStalled
from core import jsoncodec
from core.clock import utcnow
from core.settings import Settings
from stores.at_rest import AtRest
from stores.keyring import Keyring
from topics.candidates import CANDIDATE_CREATE, CANDIDATE_CREATE_BATCH
from topics.clients import CLIENT_CREATE, CONTACT_CREATE
from topics.envelopes import Actor, CommandEnvelope, CommandOutcome
from topics.names import (
    CANDIDATE_COMMANDS,
    CLIENT_COMMANDS,
    PIPELINE_COMMANDS,
    REQUISITION_COMMANDS,
    TopicSpec,
)
from topics.pipeline import SUBMISSION_CREATE
from topics.requisitions import REQUISITION_CREATE


@dataclass(frozen=True, slots=True)
class Route:
    """Where a kind's creates go: the topic, the command type, and the payload field
    whose id keys the message (a contact is keyed by its client, as the gateway keys it)."""

    topic: TopicSpec
    command: str
    key: str


ROUTES: dict[str, Route] = {
    "candidates": Route(CANDIDATE_COMMANDS, CANDIDATE_CREATE, "candidate_id"),
    "clients": Route(CLIENT_COMMANDS, CLIENT_CREATE, "client_id"),
    "contacts": Route(CLIENT_COMMANDS, CONTACT_CREATE, "client_id"),
    "requisitions": Route(REQUISITION_COMMANDS, REQUISITION_CREATE, "requisition_id"),
    "submissions": Route(PIPELINE_COMMANDS, SUBMISSION_CREATE, "submission_id"),
}
SAMPLE_SIZE = 100

BATCHED: dict[str, str] = {CANDIDATE_CREATE: CANDIDATE_CREATE_BATCH}
"""The kinds' command types sent as batches, and the batch command type."""

BATCH_BYTES = 300_000
"""A batch is sent before its rows' JSON passes this many bytes, whatever IMPORT_BATCH_ROWS:
sealed, and as the worker's batch event, it stays well under Kafka's megabyte a message."""


@dataclass
class Problem:
    line: int
    status: str
    code: str
    message: str
    duplicate_of: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "line": self.line,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.duplicate_of:
            found["duplicate_of"] = self.duplicate_of
        return found


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    sample_ids: list[UUID] = field(default_factory=list)
    """A few created candidates' ids, to look them up afterwards."""
    stalled: OutcomesStalled | None = None
    """Set when the wait for outcomes gave up: no new one for IMPORT_STALL_SECONDS."""

    @property
    def pending(self) -> int:
        """Rows sent whose outcome had not come when the import stopped waiting."""
        return self.stalled.missing if self.stalled else 0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def reasons(self) -> list[tuple[str, int]]:
        """Rejection reasons, most frequent first (duplicates counted apart)."""
        counts = Counter(p.message for p in self.problems if p.status == "rejected")
        return counts.most_common()


@dataclass(frozen=True)
class Progress:
    """Callbacks for the CLI's progress bars: rows sent, outcomes received, and how long
    it has been since the last outcome came (after each poll of the ledger)."""

    published: Callable[[int], None] = lambda n: None
    applied: Callable[[int], None] = lambda n: None
    total: Callable[[int], None] = lambda n: None
    quiet: Callable[[float], None] = lambda seconds: None


def command_id_for(tenant_id: UUID, digest: str, line: int) -> UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, f"{tenant_id}:{digest}:{line}")


def batch_id_for(tenant_id: UUID, digest: str, first_line: int) -> UUID:
    """A batch's command id: the same file, agency and first line make the same batch."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{tenant_id}:{digest}:batch:{first_line}")


@dataclass
class _Batch:
    """Rows gathered for one batch command: (line, own record id, payload) each."""

    rows: list[tuple[int, UUID, dict[str, Any]]] = field(default_factory=list)
    size: int = 0


class RecordImport:
    """Imports one kind of record (`candidates`, `clients`, `contacts`, `requisitions`,
    `submissions`) from a file into an agency."""

    def __init__(
        self,
        settings: Settings,
        tenant: str,
        kind: str = "candidates",
        *,
        batch_size: int = 1000,
        actor: str = "import",
        mapping: Mapping_ | None = None,
        encoding: str | None = None,
    ) -> None:
        self.settings = settings
        self.tenant = tenant
        self.kind: Kind = KINDS[kind]
        self.route = ROUTES[kind]
        self.batch_size = batch_size
        self.actor = Actor(id=actor, kind="system")
        self.mapping = mapping
        self.encoding = encoding
        self.encoding_used = ""
        self._records: dict[UUID, UUID] = {}

    def check(self, path: Path) -> ImportFile:
        """The whole file read and checked; ImportFileError says why it cannot be imported."""
        parsed = read_file(path, self.kind, mapping=self.mapping, encoding=self.encoding)
        self.encoding_used = parsed.encoding
        return parsed

    async def run(
        self, path: Path, progress: Progress | None = None, *, checked: ImportFile | None = None
    ) -> ImportSummary:
        progress = progress or Progress()
        # The whole file first: one that cannot be imported sends nothing.
        parsed = checked or self.check(path)
        progress.total(len(parsed.rows))
        async with CommandSender(self.settings) as sender:
            tenant_id = await sender.find_tenant(self.tenant)
            if tenant_id is None:
                raise LookupError(f"no agency '{self.tenant}'; create it with `users create`")
            references = References(sender.db, AtRest(Keyring(sender.db, self.settings)), tenant_id)
            if self.kind.references:
                await references.load(self.kind.references, [r.cells for r in parsed.rows])
            summary = ImportSummary()
            lines: dict[UUID, int] = {}
            # Rows travel on many partitions, so the worker may meet them in any order:
            # the file's own repeats are settled here, where "the first row wins" holds.
            seen: dict[tuple[str, str], tuple[int, UUID]] = {}
            started = time.monotonic()
            if self.route.command in BATCHED and self.settings.import_batch_rows > 0:
                await self._run_batched(sender, tenant_id, parsed, references, summary, progress)
                summary.seconds = time.monotonic() - started
                summary.problems.sort(key=lambda p: p.line)
                return summary
            for batch in _batches(parsed.rows, self.batch_size):
                summary.rows += len(batch)
                for row in batch:
                    admitted = self._admit(row, tenant_id, parsed.digest, references, summary, seen)
                    if admitted is None:
                        continue
                    payload, own_id = admitted
                    command_id = command_id_for(tenant_id, parsed.digest, row.line)
                    lines[command_id] = row.line
                    self._records[command_id] = own_id
                    await self._send(sender, tenant_id, command_id, payload)
                await sender.flush()
                progress.published(len(batch))

            def take(found: dict[UUID, Outcome]) -> int:
                self._count(found, lines, summary)
                return len(found)

            outcomes = sender.outcomes(tenant_id, lines, timeout=self.settings.import_stall_seconds)
            try:
                await _follow(outcomes, take, progress)
            except OutcomesStalled as stalled:
                summary.stalled = stalled
            summary.seconds = time.monotonic() - started
            summary.problems.sort(key=lambda p: p.line)
            return summary

    async def _run_batched(
        self,
        sender: CommandSender,
        tenant_id: UUID,
        parsed: ImportFile,
        references: References,
        summary: ImportSummary,
        progress: Progress,
    ) -> None:
        """Send the rows as batch commands and count their outcomes, row by row."""
        seen: dict[tuple[str, str], tuple[int, UUID]] = {}
        sent: dict[UUID, list[tuple[int, UUID]]] = {}  # batch id: (line, record id) a row
        limit = self.settings.import_batch_rows
        current = _Batch()

        async def send_current() -> None:
            nonlocal current
            if current.rows:
                batch_id = await self._send_batch(sender, tenant_id, parsed.digest, current.rows)
                sent[batch_id] = [(line, own) for line, own, _ in current.rows]
                current = _Batch()

        for chunk in _batches(parsed.rows, self.batch_size):
            summary.rows += len(chunk)
            for row in chunk:
                admitted = self._admit(row, tenant_id, parsed.digest, references, summary, seen)
                if admitted is None:
                    continue
                payload, own_id = admitted
                size = len(jsoncodec.dumps(payload))
                if current.rows and current.size + size > BATCH_BYTES:
                    await send_current()
                current.rows.append((row.line, own_id, payload))
                current.size += size
                if len(current.rows) >= limit:
                    await send_current()
            await sender.flush()
            progress.published(len(chunk))
        await send_current()
        await sender.flush()
        total = sum(len(rows) for rows in sent.values())
        counted = 0

        def take(found: dict[UUID, CommandOutcome]) -> int:
            nonlocal counted
            rows = sum(self._count_batch(o, sent[b], summary) for b, o in found.items())
            counted += rows
            return rows

        outcomes = sender.batch_outcomes(
            tenant_id, sent, timeout=self.settings.import_stall_seconds
        )
        try:
            await _follow(outcomes, take, progress)
        except OutcomesStalled as stalled:
            # Said in rows, as the user counts them, not in batches.
            summary.stalled = OutcomesStalled(total - counted, total, stalled.waited)

    def _admit(
        self,
        row: Any,
        tenant_id: UUID,
        digest: str,
        references: References,
        summary: ImportSummary,
        seen: dict[tuple[str, str], tuple[int, UUID]],
    ) -> tuple[dict[str, Any], UUID] | None:
        """The row's payload and record id; None (counted in the summary) when the row is
        refused, or repeats an earlier row of the file, where "the first row wins"."""
        payload = self._payload(row, tenant_id, digest, references, summary)
        if payload is None:
            return None
        points = self._points(payload)
        if any(p in seen for p in points):
            summary.duplicates += 1
            summary.problems.append(_repeat(row.line, points, seen))
            return None
        own_id = UUID(payload[f"{self.kind.noun}_id"])
        seen.update(dict.fromkeys(points, (row.line, own_id)))
        return payload, own_id

    async def _send_batch(
        self,
        sender: CommandSender,
        tenant_id: UUID,
        digest: str,
        rows: Sequence[tuple[int, UUID, dict[str, Any]]],
    ) -> UUID:
        batch_id = batch_id_for(tenant_id, digest, rows[0][0])
        envelope = CommandEnvelope(
            command_id=batch_id,
            type=BATCHED[self.route.command],
            tenant_id=tenant_id,
            actor=self.actor,
            issued_at=utcnow(),
            reply=False,
            payload={"rows": [{**payload, "row": line} for line, _, payload in rows]},
        )
        topic = self.route.topic.name(self.settings.topic_namespace)
        # Keyed by the batch: its candidates are new, and in no other batch of the import.
        await sender.send(topic, batch_id, envelope)
        return batch_id

    def _count_batch(
        self, outcome: CommandOutcome, rows: list[tuple[int, UUID]], summary: ImportSummary
    ) -> int:
        """Count a batch's outcome into the summary, row by row; how many rows it had."""
        refused: dict[int, dict[str, Any]]
        if outcome.batch is None:
            # The whole batch refused (never expected from this importer's batches).
            error = outcome.error or {}
            refused = {line: error for line, _ in rows}
        else:
            refused = {
                r.row: {"code": r.code, "message": r.message, "duplicate_of": r.duplicate_of}
                for r in outcome.batch.refused
            }
        by_line = {line: own for line, own in rows}
        found: dict[UUID, Outcome] = {}
        lines: dict[UUID, int] = {}
        for line, own in rows:
            key = uuid.uuid5(own, "line")
            lines[key] = line
            self._records[key] = by_line[line]
            why = refused.get(line)
            found[key] = ("applied", None) if why is None else ("rejected", why)
        self._count(found, lines, summary)
        return len(rows)

    def _payload(
        self,
        row: ImportRow,
        tenant_id: UUID,
        digest: str,
        references: References,
        summary: ImportSummary,
    ) -> dict[str, Any] | None:
        """The row's command payload with its id and references, or None (counted as
        rejected) when its shape is wrong or a reference names no record."""
        payload = row.payload
        if payload is None:
            summary.rejected += 1
            summary.problems.append(
                Problem(row.line, "rejected", "invalid", row.error or "invalid row")
            )
            return None
        noun = self.kind.noun
        source_id = row.cells.get("id")
        own = (
            imported_id(tenant_id, noun, source_id)
            if source_id
            else _record_id(command_id_for(tenant_id, digest, row.line), noun)
        )
        payload[f"{noun}_id"] = str(own)
        try:
            for reference in self.kind.references:
                found = references.resolve(reference, row.cells)
                if found is not None:
                    payload[reference.field] = str(found)
        except Unresolved as exc:
            summary.rejected += 1
            summary.problems.append(Problem(row.line, "rejected", "unresolved_reference", str(exc)))
            return None
        return payload

    @staticmethod
    def _points(payload: dict[str, Any]) -> list[tuple[str, str]]:
        """The row's emails and phones, roughly as the agent will key them.

        Lower-case emails and the digits of phones catch a file's repeats without the
        cost of parsing every number here; the agent settles what this misses.
        """
        emails, phones = payload.get("emails"), payload.get("phones")
        points = []
        for email in emails if isinstance(emails, list) else []:
            if isinstance(email, str) and email.strip():
                points.append(("email", email.strip().lower()))
        for phone in phones if isinstance(phones, list) else []:
            if isinstance(phone, str) and (digits := re.sub(r"[^0-9+]", "", phone)):
                points.append(("phone", digits))
        return points

    async def _send(
        self,
        sender: CommandSender,
        tenant_id: UUID,
        command_id: UUID,
        payload: dict[str, Any],
    ) -> None:
        envelope = CommandEnvelope(
            command_id=command_id,
            type=self.route.command,
            tenant_id=tenant_id,
            actor=self.actor,
            issued_at=utcnow(),
            reply=False,
            payload=payload,
        )
        topic = self.route.topic.name(self.settings.topic_namespace)
        await sender.send(topic, UUID(payload[self.route.key]), envelope)

    def _count(
        self, found: dict[UUID, Outcome], lines: dict[UUID, int], summary: ImportSummary
    ) -> None:
        """Count recorded outcomes into the summary, with the line of each row not created."""
        for command_id, (status, error) in found.items():
            if status == "applied":
                summary.created += 1
                if len(summary.sample_ids) < SAMPLE_SIZE:
                    summary.sample_ids.append(self._records[command_id])
                continue
            error = error or {}
            code = str(error.get("code", "rejected"))
            problem = Problem(
                lines[command_id],
                "duplicate" if code == "duplicate" else "rejected",
                code,
                str(error.get("message", "")),
                error.get("duplicate_of"),
            )
            if problem.status == "duplicate":
                summary.duplicates += 1
            else:
                summary.rejected += 1
            summary.problems.append(problem)


def _record_id(command_id: UUID, noun: str) -> UUID:
    return uuid.uuid5(command_id, noun)


class CandidateImport(RecordImport):
    """Candidates from CSV or JSON Lines (what `import candidates` runs)."""

    def __init__(self, settings: Settings, tenant: str, **options: Any) -> None:
        super().__init__(settings, tenant, "candidates", **options)


def _repeat(
    line: int, points: list[tuple[str, str]], seen: dict[tuple[str, str], tuple[int, UUID]]
) -> Problem:
    point = next(p for p in points if p in seen)
    first_line, candidate_id = seen[point]
    return Problem(
        line,
        "duplicate",
        "duplicate",
        f"{point[0]} {point[1]} is already on line {first_line} of this file",
        str(candidate_id),
    )


Found = TypeVar("Found", bound=dict[UUID, Any])


async def _follow(
    outcomes: AsyncIterator[Found], take: Callable[[Found], int], progress: Progress
) -> None:
    """Count outcomes as the worker records them, however long that is, showing how long
    since the last one; the iterator gives up (OutcomesStalled) only when none come."""
    last_outcome = time.monotonic()
    async for found in outcomes:
        progress.applied(take(found))
        if found:
            last_outcome = time.monotonic()
        progress.quiet(time.monotonic() - last_outcome)


def _batches(rows: Iterable[ImportRow], size: int) -> Iterable[list[ImportRow]]:
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
