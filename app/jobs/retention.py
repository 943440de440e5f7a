"""`refactortrack retention`: an agency's retention policy, and the run that erases the
candidates it says are due.

The run reads the facts from Postgres, lets the rule (domain/retention.py) say who is due,
and erases each through the normal erasure command, `candidate.erase`, published as the
jobs principal: every store and topic is reached exactly as by `DELETE /candidates/{id}`.
It waits for each outcome in the command ledger. A command's id derives from the agency
and the candidate, so a run interrupted and started again replays the erasures it had
sent (the ledger answers them) instead of sending new ones; a candidate already erased
is no longer read, so a second run finds nothing due.

The run also prunes the agency's changes feed (`GET /changes`): rows recorded more than
CHANGES_RETENTION_DAYS ago go, whatever the policy (with --dry-run they are counted).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from app.jobs.sending import CommandSender
from core.clock import utcnow
from core.settings import Settings
from domain.retention import (
    CandidateFacts,
    ConsentFacts,
    Verdict,
    check_inactive_months,
    due_candidates,
    inactivity_cutoff,
)
from stores.postgres import changes as changes_feed
from stores.postgres import retention as repo
from stores.postgres.database import Database
from stores.postgres.users import find_tenant
from topics.candidates import CANDIDATE_ERASE, Consent
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS

RETENTION_NAMESPACE = uuid.UUID("0b7d3c5e-8f61-4a2e-9c1d-6e2f4b8a9d70")
ACTOR = Actor(id="retention", kind="system")
"""Who erasures of a run are recorded as (`erasures.erased_by` is `system:retention`)."""
CLI_ACTOR = "system:cli"
"""Who a policy set from the command line is recorded as set by."""
PAGE_SIZE = 1000
ERASE_BATCH = 100
"""Erasures sent before waiting for their outcomes: an interrupted run leaves at most
this many unreported, and the worker never gets more than this at once from a run."""
OUTCOME_TIMEOUT_SECONDS = 600.0


class NoAgency(LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no agency '{slug}'; see `refactortrack users create`")


@dataclass(frozen=True, slots=True)
class PolicyView:
    inactive_months: int | None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def enabled(self) -> bool:
        return self.inactive_months is not None

    def describe(self) -> str:
        if self.inactive_months is None:
            return "off: no candidate is due"
        return (
            f"erase candidates with no activity and no valid consent for "
            f"{self.inactive_months} month(s)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "inactive_months": self.inactive_months,
            "enabled": self.enabled,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "updated_by": self.updated_by,
        }


def _view(row: dict[str, Any] | None) -> PolicyView:
    if row is None:
        return PolicyView(None)
    return PolicyView(row["inactive_months"], row["updated_at"], row["updated_by"])


async def _tenant_id(db: Database, slug: str) -> UUID:
    async with db.read() as conn:
        tenant_id = await find_tenant(conn, slug)
    if tenant_id is None:
        raise NoAgency(slug)
    return tenant_id


async def show_policy(settings: Settings, tenant: str) -> PolicyView:
    """The agency's policy (off when never set); raises NoAgency."""
    db = Database(settings)
    await db.start()
    try:
        tenant_id = await _tenant_id(db, tenant)
        async with db.read() as conn:
            return _view(await repo.get_policy(conn, tenant_id))
    finally:
        await db.stop()


async def set_policy(
    settings: Settings, tenant: str, inactive_months: int | None, *, updated_by: str = CLI_ACTOR
) -> PolicyView:
    """Set the agency's policy (None: off); raises NoAgency, or ValueError out of bounds."""
    if inactive_months is not None:
        check_inactive_months(inactive_months)
    db = Database(settings)
    await db.start()
    try:
        tenant_id = await _tenant_id(db, tenant)
        async with db.transaction() as conn:
            row = await repo.put_policy(
                conn,
                tenant_id,
                inactive_months=inactive_months,
                updated_by=updated_by,
                updated_at=utcnow(),
            )
        return _view(row)
    finally:
        await db.stop()


def facts_from_row(row: dict[str, Any]) -> CandidateFacts:
    """The rule's input from a row of `candidate_facts`."""
    consent, unreadable = None, False
    if row["consent"] is not None:
        try:
            read = Consent.model_validate(row["consent"])
            consent = ConsentFacts(read.basis, read.given_at, read.expires_at)
        except ValidationError:
            unreadable = True
    return CandidateFacts(
        candidate_id=row["id"],
        record_updated_at=row["record_updated_at"],
        consent=consent,
        consent_unreadable=unreadable,
        submission_stages=tuple(row["submission_stages"] or ()),
        placement_statuses=tuple(row["placement_statuses"] or ()),
        submission_at=row["submission_at"],
        note_at=row["note_at"],
        document_at=row["document_at"],
        interview_at=row["interview_at"],
        placement_at=row["placement_at"],
        placement_ended=row["placement_ended"],
    )


def command_id_for(tenant_id: UUID, candidate_id: UUID) -> UUID:
    """One erasure command per agency and candidate, whatever the run that sends it."""
    return uuid.uuid5(RETENTION_NAMESPACE, f"{tenant_id}:{candidate_id}")


@dataclass(frozen=True, slots=True)
class Failure:
    candidate_id: UUID
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"candidate_id": str(self.candidate_id), "code": self.code, "message": self.message}


@dataclass
class RetentionReport:
    """What a run found and did; ids and dates only, never a name or an address."""

    tenant: str
    dry_run: bool
    now: datetime
    policy: PolicyView
    tenant_id: UUID | None = None
    cutoff: datetime | None = None
    limit: int | None = None
    checked: int = 0
    due_total: int = 0
    due: list[Verdict] = field(default_factory=list)
    """Those this run erases (or would), longest inactive first: all that are due, or the
    first `limit` of them."""
    erased: list[UUID] = field(default_factory=list)
    already_gone: list[UUID] = field(default_factory=list)
    """Erased by someone else between the look-up and this run's command."""
    failed: list[Failure] = field(default_factory=list)
    changes_before: datetime | None = None
    """The changes feed keeps what was recorded from then on."""
    changes_pruned: int = 0
    """Rows of the changes feed deleted (with --dry-run: that would be)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "tenant_id": str(self.tenant_id) if self.tenant_id else None,
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "policy": self.policy.as_dict(),
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "limit": self.limit,
            "checked": self.checked,
            "due_total": self.due_total,
            "due": [_verdict_dict(v) for v in self.due],
            "erased": [str(c) for c in self.erased],
            "already_gone": [str(c) for c in self.already_gone],
            "failed": [f.as_dict() for f in self.failed],
            "changes_before": self.changes_before.isoformat() if self.changes_before else None,
            "changes_pruned": self.changes_pruned,
        }


def _verdict_dict(verdict: Verdict) -> dict[str, Any]:
    return {
        "candidate_id": str(verdict.candidate_id),
        "last_activity": verdict.last_activity.isoformat(),
        "last_activity_source": verdict.last_activity_source,
        "consent": verdict.consent,
        "consent_basis": verdict.consent_basis,
        "consent_expires_at": (
            verdict.consent_expires_at.isoformat() if verdict.consent_expires_at else None
        ),
    }


@dataclass(frozen=True)
class Progress:
    """Callbacks for the CLI's progress bars: candidates checked, erasures answered."""

    to_check: Callable[[int], None] = lambda n: None
    checked: Callable[[int], None] = lambda n: None
    to_erase: Callable[[int], None] = lambda n: None
    erased: Callable[[int], None] = lambda n: None


async def find_due(
    db: Database,
    tenant_id: UUID,
    inactive_months: int,
    now: datetime,
    progress: Progress | None = None,
) -> tuple[int, list[Verdict]]:
    """(candidates checked, the verdicts of those due, longest inactive first)."""
    progress = progress or Progress()
    cutoff = inactivity_cutoff(now, inactive_months)
    async with db.read() as conn:
        progress.to_check(await repo.count_unchanged_since(conn, tenant_id, cutoff))
    due: list[Verdict] = []
    checked, after = 0, None
    while True:
        async with db.read() as conn:
            rows = await repo.candidate_facts(conn, tenant_id, cutoff, after=after, limit=PAGE_SIZE)
        if not rows:
            return checked, sorted(due, key=lambda v: (v.last_activity, v.candidate_id))
        due.extend(due_candidates(map(facts_from_row, rows), inactive_months, now))
        checked += len(rows)
        progress.checked(len(rows))
        after = rows[-1]["id"]


async def prune_changes(db: Database, tenant_id: UUID, before: datetime, dry_run: bool) -> int:
    """Delete (or, dry, count) the agency's changes-feed rows recorded before `before`.

    The feed holds ids and versions, no personal data: it is pruned to bound its size, and
    a system away for longer than it keeps re-reads its lists (`updated_since`).
    """
    if dry_run:
        async with db.read() as conn:
            return await changes_feed.count_before(conn, tenant_id, before)
    async with db.transaction() as conn:
        return await changes_feed.prune(conn, tenant_id, before)


async def run_retention(
    settings: Settings,
    tenant: str,
    *,
    dry_run: bool,
    limit: int | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    outcome_timeout: float = OUTCOME_TIMEOUT_SECONDS,
) -> RetentionReport:
    """Find the agency's due candidates and, unless `dry_run`, erase them (at most `limit`).

    Raises NoAgency. A policy that is off finds nothing due.
    """
    progress = progress or Progress()
    now = now or utcnow()
    db = Database(settings)
    await db.start()
    try:
        tenant_id = await _tenant_id(db, tenant)
        async with db.read() as conn:
            policy = _view(await repo.get_policy(conn, tenant_id))
        report = RetentionReport(tenant, dry_run, now, policy, tenant_id=tenant_id, limit=limit)
        report.changes_before = now - timedelta(days=settings.changes_retention_days)
        report.changes_pruned = await prune_changes(db, tenant_id, report.changes_before, dry_run)
        if policy.inactive_months is None:
            return report
        report.cutoff = inactivity_cutoff(now, policy.inactive_months)
        report.checked, due = await find_due(db, tenant_id, policy.inactive_months, now, progress)
    finally:
        await db.stop()
    report.due_total = len(due)
    report.due = due[:limit] if limit is not None else due
    if dry_run or not report.due:
        return report
    progress.to_erase(len(report.due))
    await _erase(settings, tenant_id, report, progress, outcome_timeout)
    return report


async def _erase(
    settings: Settings,
    tenant_id: UUID,
    report: RetentionReport,
    progress: Progress,
    outcome_timeout: float,
) -> None:
    """Erase the report's due candidates batch by batch, recording each outcome in it."""
    topic = CANDIDATE_COMMANDS.name(settings.topic_namespace)
    async with CommandSender(settings) as sender:
        batches = _batches([v.candidate_id for v in report.due], ERASE_BATCH)
        for batch in batches:
            commands = {command_id_for(tenant_id, c): c for c in batch}
            for command_id, candidate_id in commands.items():
                await sender.send(
                    topic, candidate_id, _erase_command(tenant_id, command_id, candidate_id)
                )
            await sender.flush()
            try:
                async for found in sender.outcomes(tenant_id, commands, timeout=outcome_timeout):
                    for command_id, (status, error) in found.items():
                        _count(report, commands[command_id], status, error)
                    progress.erased(len(found))
            except TimeoutError as exc:
                # No worker answers: stop here rather than queue more erasures behind it.
                answered = {
                    *report.erased,
                    *report.already_gone,
                    *(f.candidate_id for f in report.failed),
                }
                for candidate_id in batch:
                    if candidate_id not in answered:
                        report.failed.append(Failure(candidate_id, "no_outcome", str(exc)))
                for rest in batches:
                    report.failed.extend(
                        Failure(c, "not_sent", "the run stopped: an earlier erasure had no outcome")
                        for c in rest
                    )
                return


def _erase_command(tenant_id: UUID, command_id: UUID, candidate_id: UUID) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=command_id,
        type=CANDIDATE_ERASE,
        tenant_id=tenant_id,
        actor=ACTOR,
        issued_at=utcnow(),
        # The run reads outcomes from the ledger; no gateway waits for a wake-up.
        reply=False,
        payload={"candidate_id": str(candidate_id)},
    )


def _count(
    report: RetentionReport, candidate_id: UUID, status: str, error: dict[str, Any] | None
) -> None:
    if status == "applied":
        report.erased.append(candidate_id)
        return
    error = error or {}
    code = str(error.get("code", "rejected"))
    if code == "not_found":
        report.already_gone.append(candidate_id)
        return
    report.failed.append(Failure(candidate_id, code, str(error.get("message", ""))))


def _batches(items: Sequence[UUID], size: int) -> Iterator[list[UUID]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
