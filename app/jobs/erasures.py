"""`refactortrack erasures reapply`: after a restore, erase again whoever was erased since.

A backup holds the people erased after it was taken, and their keys: restored, they would
be back (docs/operations.md, "Erasure and backups"). The erasure register (a compacted
topic the workers write with each erasure, topics/erasures.py) outlives the database; this
job reads it whole, asks the restored database which of those people it holds again, and
sends each of them the erasure command the API sends, so every store (records, profiles,
files, index, keys) is cleared by the same code as the first time. Its command ids are
derived from the register's record, so a second run is answered by the ledger and changes
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from app.jobs.sending import CommandSender
from core.clock import utcnow
from core.settings import Settings
from stores.erasure_register import read_register
from stores.postgres.database import Database
from stores.postgres.erasure import still_held
from topics.envelopes import Actor, CommandEnvelope
from topics.erasures import ErasureRecord

REAPPLY_NAMESPACE = uuid.UUID("5f0c8e2a-3b71-4d9e-a2c6-8e41d7b09f35")
ACTOR = Actor(id="restore", kind="system")
"""Who the repeated erasures are recorded as by (`system:restore`)."""
OUTCOME_TIMEOUT_SECONDS = 600.0


@dataclass
class ReapplyReport:
    registered: int = 0
    considered: int = 0
    held: list[ErasureRecord] = field(default_factory=list)
    erased: list[ErasureRecord] = field(default_factory=list)
    failed: list[tuple[ErasureRecord, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "registered": self.registered,
            "considered": self.considered,
            "held_again": [_describe(r) for r in self.held],
            "erased": [_describe(r) for r in self.erased],
            "failed": [{**_describe(r), "error": why} for r, why in self.failed],
        }


def _describe(record: ErasureRecord) -> dict[str, str]:
    return {
        "kind": record.kind,
        "tenant_id": str(record.tenant_id),
        "id": str(record.id),
        "erased_at": record.erased_at.isoformat(),
    }


def command_id_for(record: ErasureRecord) -> UUID:
    """The same record always gives the same command, so a re-run changes nothing."""
    return uuid.uuid5(REAPPLY_NAMESPACE, f"{record.key.decode()}@{record.erased_at.isoformat()}")


async def reapply_erasures(
    settings: Settings,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    outcome_timeout: float = OUTCOME_TIMEOUT_SECONDS,
    progress: Callable[[int], None] = lambda n: None,
) -> ReapplyReport:
    """Erase again every registered person the database holds; `since` limits the register
    to erasures at or after it (the backup's time), `dry_run` only lists them."""
    report = ReapplyReport()
    records = await read_register(settings)
    report.registered = len(records)
    considered = [r for r in records if since is None or r.erased_at >= since]
    report.considered = len(considered)
    report.held = await _held(settings, considered)
    if dry_run or not report.held:
        return report
    async with CommandSender(settings) as sender:
        by_tenant: dict[UUID, dict[UUID, ErasureRecord]] = {}
        for record in report.held:
            spec, kind, key, payload = record.erase_command()
            command_id = command_id_for(record)
            by_tenant.setdefault(record.tenant_id, {})[command_id] = record
            await sender.send(
                spec.name(settings.topic_namespace),
                key,
                CommandEnvelope(
                    command_id=command_id,
                    type=kind,
                    tenant_id=record.tenant_id,
                    actor=ACTOR,
                    issued_at=utcnow(),
                    reply=False,
                    payload=payload,
                ),
            )
        await sender.flush()
        for tenant_id, commands in by_tenant.items():
            async for found in sender.outcomes(tenant_id, commands, timeout=outcome_timeout):
                for command_id, (status, error) in found.items():
                    record = commands[command_id]
                    code = str((error or {}).get("code", ""))
                    # Gone already (a worker erased it first): the goal holds.
                    if status == "applied" or code == "not_found":
                        report.erased.append(record)
                    else:
                        report.failed.append((record, f"{code}: {(error or {}).get('message')}"))
                progress(len(found))
    return report


async def _held(settings: Settings, records: list[ErasureRecord]) -> list[ErasureRecord]:
    db = Database(settings)
    await db.start()
    try:
        async with db.read() as conn:
            held: set[UUID] = set()
            for kind in ("candidate", "contact"):
                ids = [r.id for r in records if r.kind == kind]
                if ids:
                    held |= await still_held(conn, kind, ids)
    finally:
        await db.stop()
    return [r for r in records if r.id in held]
