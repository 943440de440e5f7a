"""`refactortrack import candidates`: a file published as `candidate.create` commands.

Each row becomes one command whose id derives from the tenant, the file's digest and
the row's line, so importing the same file again (after an interruption, say) replays
the commands: nothing is created twice and the summary is the same. The worker applies
the commands in bulk; the importer waits for every outcome in the command ledger.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from app.jobs.imports.files import ImportRow, file_facts, read_rows
from app.jobs.sending import CommandSender, Outcome
from core.clock import utcnow
from core.settings import Settings
from topics.candidates import CANDIDATE_CREATE
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS

IMPORT_NAMESPACE = uuid.UUID("5d1f6f0e-2b8e-4c39-9a57-3f0c7f2b1a10")
OUTCOME_TIMEOUT_SECONDS = 600.0
SAMPLE_SIZE = 100


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

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def reasons(self) -> list[tuple[str, int]]:
        """Rejection reasons, most frequent first (duplicates counted apart)."""
        counts = Counter(p.message for p in self.problems if p.status == "rejected")
        return counts.most_common()


@dataclass(frozen=True)
class Progress:
    """Callbacks for the CLI's progress bars: rows sent, outcomes received."""

    published: Callable[[int], None] = lambda n: None
    applied: Callable[[int], None] = lambda n: None
    total: Callable[[int], None] = lambda n: None


def command_id_for(tenant_id: UUID, digest: str, line: int) -> UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, f"{tenant_id}:{digest}:{line}")


class CandidateImport:
    def __init__(
        self,
        settings: Settings,
        tenant: str,
        *,
        batch_size: int = 1000,
        actor: str = "import",
    ) -> None:
        self.settings = settings
        self.tenant = tenant
        self.batch_size = batch_size
        self.actor = Actor(id=actor, kind="system")

    async def run(self, path: Path, progress: Progress | None = None) -> ImportSummary:
        progress = progress or Progress()
        facts = file_facts(path)
        progress.total(facts.rows)
        async with CommandSender(self.settings) as sender:
            tenant_id = await sender.find_tenant(self.tenant)
            if tenant_id is None:
                raise LookupError(f"no agency '{self.tenant}'; create it with `users create`")
            summary = ImportSummary()
            lines: dict[UUID, int] = {}
            # Rows travel on many partitions, so the worker may meet them in any order:
            # the file's own repeats are settled here, where "the first row wins" holds.
            seen: dict[tuple[str, str], tuple[int, UUID]] = {}
            started = time.monotonic()
            for batch in _batches(read_rows(path), self.batch_size):
                summary.rows += len(batch)
                for row in batch:
                    if row.payload is None:
                        summary.rejected += 1
                        summary.problems.append(
                            Problem(row.line, "rejected", "invalid", row.error or "invalid row")
                        )
                        continue
                    command_id = command_id_for(tenant_id, facts.digest, row.line)
                    points = self._points(row.payload)
                    earlier = next((seen[p] for p in points if p in seen), None)
                    if earlier is not None:
                        summary.duplicates += 1
                        summary.problems.append(_repeat(row.line, points, seen))
                        continue
                    seen.update(dict.fromkeys(points, (row.line, _candidate_id(command_id))))
                    lines[command_id] = row.line
                    await self._send(sender, tenant_id, command_id, row.payload)
                await sender.flush()
                progress.published(len(batch))
            async for found in sender.outcomes(tenant_id, lines, timeout=OUTCOME_TIMEOUT_SECONDS):
                self._count(found, lines, summary)
                progress.applied(len(found))
            summary.seconds = time.monotonic() - started
            summary.problems.sort(key=lambda p: p.line)
            return summary

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
        candidate_id = _candidate_id(command_id)
        envelope = CommandEnvelope(
            command_id=command_id,
            type=CANDIDATE_CREATE,
            tenant_id=tenant_id,
            actor=self.actor,
            issued_at=utcnow(),
            reply=False,
            payload={**payload, "candidate_id": str(candidate_id)},
        )
        await sender.send(
            CANDIDATE_COMMANDS.name(self.settings.topic_namespace), candidate_id, envelope
        )

    @staticmethod
    def _count(found: dict[UUID, Outcome], lines: dict[UUID, int], summary: ImportSummary) -> None:
        """Count recorded outcomes into the summary, with the line of each row not created."""
        for command_id, (status, error) in found.items():
            if status == "applied":
                summary.created += 1
                if len(summary.sample_ids) < SAMPLE_SIZE:
                    summary.sample_ids.append(_candidate_id(command_id))
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


def _candidate_id(command_id: UUID) -> UUID:
    return uuid.uuid5(command_id, "candidate")


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


def _batches(rows: Iterable[ImportRow], size: int) -> Iterable[list[ImportRow]]:
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
