"""`refactortrack export KIND`: an agency's records as CSV or JSON Lines.

Read through the store layer as the API reads them (candidates' and contacts' e-mails
and phones opened from their sealing at rest, profiles from MongoDB); erased people are
no longer there, and merged duplicates are not listed. Each record carries the natural
keys of the records it refers to (a contact's client's name, a submission's candidate's
e-mail and requisition's title) beside their ids, so the file imports into another agency
(docs/import-export.md).

The file is written beside its destination first; the export is recorded in the
agency's audit log, with every id exported, and only then does the file take its name
(or go to standard output): an export that could not be recorded is not handed over.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import orjson
from pydantic import BaseModel

from app.jobs.flat_records import KINDS
from app.jobs.spreadsheet_cells import neutralise
from core.clock import utcnow
from domain.audit import draft
from stores.bundle import Stores
from stores.postgres import audit
from stores.postgres import candidates as candidate_repo
from stores.postgres.candidates import CANDIDATES
from stores.postgres.clients import CLIENTS, CONTACTS
from stores.postgres.keyset import Window
from stores.postgres.pipeline import PLACEMENTS, SUBMISSIONS
from stores.postgres.requisitions import REQUISITIONS
from stores.postgres.rows import Rows
from stores.postgres.users import find_tenant
from topics.candidates import compose_candidate
from topics.clients import ClientSnapshot, ContactSnapshot
from topics.pipeline import PlacementSnapshot, SubmissionSnapshot
from topics.requisitions import RequisitionSnapshot

PAGE = 500
FORMATS = ("csv", "jsonl")
Record = dict[str, Any]


class ExportError(Exception):
    """The export cannot be made as asked (an unknown kind, format or agency)."""


@dataclass
class ExportSummary:
    kind: str
    records: int = 0
    destination: str = "standard output"


@dataclass(frozen=True)
class ExportProgress:
    total: Callable[[int], None] = lambda n: None
    advance: Callable[[int], None] = lambda n: None


ROWS: dict[str, tuple[Rows, type[BaseModel]]] = {
    "clients": (CLIENTS, ClientSnapshot),
    "contacts": (CONTACTS, ContactSnapshot),
    "requisitions": (REQUISITIONS, RequisitionSnapshot),
    "submissions": (SUBMISSIONS, SubmissionSnapshot),
    "placements": (PLACEMENTS, PlacementSnapshot),
}


def parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        since = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ExportError(
            f"--updated-since '{text}' is not an RFC 3339 time; e.g. 2026-11-01T00:00:00Z"
        ) from None
    if since.tzinfo is None:
        raise ExportError(f"--updated-since '{text}' needs a time zone (Z, or +01:00)")
    return since


class Export:
    def __init__(
        self,
        stores: Stores,
        kind: str,
        tenant: str,
        fmt: str,
        *,
        since: datetime | None = None,
        operator: str = "export",
    ) -> None:
        if kind not in KINDS:
            raise ExportError(f"no kind '{kind}'; one of {', '.join(KINDS)}")
        if fmt not in FORMATS:
            raise ExportError(f"--format '{fmt}': csv or jsonl")
        self.stores = stores
        self.kind = KINDS[kind]
        self.tenant = tenant
        self.fmt = fmt
        self.since = since
        self.operator = operator[:100] or "export"
        self.tenant_id: UUID | None = None

    async def run(
        self, output: Path | None, progress: ExportProgress | None = None
    ) -> ExportSummary:
        progress = progress or ExportProgress()
        async with self.stores.db.read() as conn:
            tenant_id = await find_tenant(conn, self.tenant)
            if tenant_id is None:
                raise ExportError(f"no agency '{self.tenant}'")
            rows = CANDIDATES if self.kind.name == "candidates" else ROWS[self.kind.name][0]
            progress.total(await rows.count(conn, tenant_id))
        self.tenant_id = tenant_id
        summary = ExportSummary(self.kind.name)
        directory = _directory_of(output)
        ids: list[UUID] = []
        with tempfile.NamedTemporaryFile(
            "wb", dir=directory, prefix=".export-", suffix=f".{self.fmt}", delete=False
        ) as spool:
            try:
                writer = _Writer(spool, self.fmt, self.kind.columns)
                async for page in self._pages(progress):
                    for record in page:
                        writer.write(record, self.kind.to_cells)
                        ids.append(UUID(str(record["id"])))
                writer.finish()
                spool.close()
                # Recorded before the file is handed over: no unrecorded export leaves.
                await self._record(tenant_id, ids)
                summary.records = len(ids)
                summary.destination = _hand_over(spool.name, output)
            finally:
                _discard(spool.name)
        return summary

    async def _record(self, tenant_id: UUID, ids: list[UUID]) -> None:
        entry = draft(
            tenant_id,
            "export",
            actor=self.operator,
            actor_kind="system",
            at=utcnow(),
            subject_type=self.kind.noun,
            subject_ids=ids,
            detail={
                "view": "bulk_export",
                "kind": self.kind.name,
                "format": self.fmt,
                "count": len(ids),
                "updated_since": self.since.isoformat() if self.since else None,
            },
        )
        async with self.stores.db.transaction() as conn:
            await audit.append(conn, [entry])

    async def _pages(self, progress: ExportProgress) -> AsyncIterator[list[Record]]:
        assert self.tenant_id is not None
        # Oldest first, by the store's keyset pages; `--updated-since` filters in SQL.
        window = Window(limit=PAGE, sort="created_at", updated_since=self.since)
        while True:
            async with self.stores.db.read() as conn:
                if self.kind.name == "candidates":
                    found = await candidate_repo.list_candidates(conn, self.tenant_id, window)
                else:
                    found = await ROWS[self.kind.name][0].page(conn, self.tenant_id, window)
            progress.advance(len(found.rows))
            if found.rows:
                yield await self._records(found.rows)
            if found.next_after is None:
                return
            window = replace(window, after=found.next_after)

    async def _records(self, rows: list[Record]) -> list[Record]:
        """The rows as the API shows them, with their references' natural keys."""
        assert self.tenant_id is not None
        tenant_id = self.tenant_id
        name = self.kind.name
        if name == "candidates":
            opened = await self.stores.at_rest.open_candidates(rows)
            profiles = await self.stores.mongo.get_profiles(tenant_id, [r["id"] for r in opened])
            return [
                compose_candidate(r, profiles.get(str(r["id"]))).model_dump(mode="json")
                for r in opened
            ]
        if name == "contacts":
            rows = await self.stores.at_rest.open_contacts(rows)
        model = ROWS[name][1]
        records = [model.model_validate(r).model_dump(mode="json") for r in rows]
        await self._add_keys(records)
        return records

    async def _add_keys(self, records: list[Record]) -> None:
        assert self.tenant_id is not None
        tenant_id = self.tenant_id

        def wanted(column: str) -> list[UUID]:
            return sorted({UUID(r[column]) for r in records if r.get(column)}, key=str)

        async with self.stores.db.read() as conn:
            requisitions = {
                r["id"]: r
                for r in await REQUISITIONS.where_in(
                    conn, tenant_id, "id", wanted("requisition_id"), order_by="created_at"
                )
            }
            client_ids = set(wanted("client_id")) | {r["client_id"] for r in requisitions.values()}
            clients = {
                r["id"]: r["name"]
                for r in await CLIENTS.where_in(
                    conn, tenant_id, "id", sorted(client_ids, key=str), order_by="created_at"
                )
            }
            contacts = await CONTACTS.where_in(
                conn, tenant_id, "id", wanted("contact_id"), order_by="created_at"
            )
            people = await CANDIDATES.where_in(
                conn, tenant_id, "id", wanted("candidate_id"), order_by="created_at"
            )
        contact_emails = {
            r["id"]: r.get("email") for r in await self.stores.at_rest.open_contacts(contacts)
        }
        candidate_emails = {
            r["id"]: (r.get("emails") or [None])[0]
            for r in await self.stores.at_rest.open_candidates(people)
        }
        for record in records:
            if record.get("requisition_id"):
                requisition = requisitions.get(UUID(record["requisition_id"]))
                if requisition is not None:
                    record["requisition_title"] = requisition["title"]
                    record["client"] = clients.get(requisition["client_id"])
            if record.get("client_id"):
                record["client"] = clients.get(UUID(record["client_id"]))
            if record.get("contact_id"):
                record["contact_email"] = contact_emails.get(UUID(record["contact_id"]))
            if record.get("candidate_id"):
                record["candidate_email"] = candidate_emails.get(UUID(record["candidate_id"]))


def _directory_of(output: Path | None) -> Path | None:
    """Where the file is spooled: beside its destination, so taking its name is atomic."""
    return output.resolve().parent if output is not None else None


def _hand_over(spooled: str, output: Path | None) -> str:
    """The finished file to its name, or to standard output; says where it went."""
    if output is None:
        with open(spooled, "rb") as done:
            shutil.copyfileobj(done, sys.stdout.buffer)
        sys.stdout.flush()
        return "standard output"
    os.replace(spooled, output)
    return str(output)


def _discard(spooled: str) -> None:
    if os.path.exists(spooled):
        os.unlink(spooled)


class _Writer:
    """CSV (UTF-8 with a BOM, which spreadsheets need to read it as UTF-8; formula cells
    neutralised) or JSON Lines (records as the API shows them)."""

    def __init__(self, out: IO[bytes], fmt: str, columns: tuple[str, ...]) -> None:
        self.out = out
        self.fmt = fmt
        self.columns = columns
        self.text = (
            io.TextIOWrapper(out, encoding="utf-8-sig", newline="") if fmt == "csv" else None
        )
        self.csv = csv.writer(self.text) if self.text is not None else None
        if self.csv is not None:
            self.csv.writerow(columns)

    def finish(self) -> None:
        if self.text is not None:
            self.text.flush()
            self.text.detach()

    def write(self, record: Record, to_cells: Callable[[Record], dict[str, str]]) -> None:
        if self.csv is None:
            self.out.write(orjson.dumps(record) + b"\n")
            return
        cells = to_cells(record)
        self.csv.writerow([neutralise(cells.get(c, "")) for c in self.columns])
        assert self.text is not None
        self.text.flush()
