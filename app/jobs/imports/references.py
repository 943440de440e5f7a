"""Finding the records an import's rows refer to (a contact's client, a submission's
candidate and requisition), from what a file exported elsewhere holds.

A reference's id column may hold an id of this agency's, or an id the other system gave
the record (an id column of an earlier import's file, say a Bullhorn `clientID`): a
record imported from a row with an id gets an id derived from it (`imported_id`), so the
reference finds it. Else the natural key: a client by its name, a contact by its e-mail
(within the row's client when it names one), a candidate by e-mail (through the
agency's blind index: e-mails are sealed at rest), a requisition by its title and its
client's name. A name that fits several records is ambiguous and refuses the row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from app.jobs.flat_records import Cells, Reference
from core.errors import RTError
from domain.contact_points import normalize_email
from stores.at_rest import AtRest
from stores.postgres.candidates import CANDIDATES, contact_holders
from stores.postgres.clients import CLIENTS, CONTACTS
from stores.postgres.database import Database
from stores.postgres.requisitions import REQUISITIONS

IMPORT_NAMESPACE = uuid.UUID("5d1f6f0e-2b8e-4c39-9a57-3f0c7f2b1a10")


class Unresolved(Exception):
    """A row's reference that names no record of the agency (or several)."""


def imported_id(tenant_id: UUID, noun: str, source_id: str) -> UUID:
    """The id a record imported from a row with `source_id` gets in this agency."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{tenant_id}:{noun}:{source_id.strip().lower()}")


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


class References:
    """The agency's records the file's references may name, read once before resolving."""

    def __init__(self, db: Database, at_rest: AtRest, tenant_id: UUID) -> None:
        self.db = db
        self.at_rest = at_rest
        self.tenant_id = tenant_id
        self.ids: dict[str, set[UUID]] = defaultdict(set)
        self.client_names: dict[str, list[UUID]] = defaultdict(list)
        self.contact_emails: dict[str, list[tuple[UUID, UUID]]] = defaultdict(list)
        self.requisitions: dict[tuple[str, UUID], list[UUID]] = defaultdict(list)
        self.candidate_emails: dict[str, UUID] = {}

    async def load(self, references: Iterable[Reference], rows: list[Cells]) -> None:
        targets = {r.target for r in references}
        if targets & {"client", "requisition", "contact"}:
            targets.add("client")
        async with self.db.read() as conn:
            if "client" in targets:
                for row in await CLIENTS.where(conn, self.tenant_id, order_by="created_at"):
                    self.ids["client"].add(row["id"])
                    self.client_names[row["name"].strip().lower()].append(row["id"])
            if "contact" in targets:
                found = await CONTACTS.where(conn, self.tenant_id, order_by="created_at")
                for row in await self.at_rest.open_contacts(found):
                    self.ids["contact"].add(row["id"])
                    if row.get("email"):
                        key = str(row["email"]).strip().lower()
                        self.contact_emails[key].append((row["id"], row["client_id"]))
            if "requisition" in targets:
                for row in await REQUISITIONS.where(conn, self.tenant_id, order_by="created_at"):
                    self.ids["requisition"].add(row["id"])
                    self.requisitions[(row["title"].strip().lower(), row["client_id"])].append(
                        row["id"]
                    )
            if "candidate" in targets:
                await self._load_candidates(conn, rows)

    async def _load_candidates(self, conn: Any, rows: list[Cells]) -> None:
        """Only the candidates the rows name: an agency may hold a great many."""
        wanted: set[UUID] = set()
        emails: set[str] = set()
        for cells in rows:
            if value := cells.get("candidate_id"):
                wanted.add(imported_id(self.tenant_id, "candidate", value))
                if (as_id := _uuid(value)) is not None:
                    wanted.add(as_id)
            if value := cells.get("candidate_email"):
                try:
                    emails.add(normalize_email(value))
                except RTError:
                    continue
        found = await CANDIDATES.where_in(
            conn, self.tenant_id, "id", sorted(wanted, key=str), order_by="created_at"
        )
        self.ids["candidate"].update(r["id"] for r in found if r.get("merged_into") is None)
        if emails:
            ordered = sorted(emails)
            index = await self.at_rest.index(conn, self.tenant_id)
            points = index.points(("email", e) for e in ordered)
            keys = dict(zip(points, ordered, strict=True))
            held = await contact_holders(conn, points)
            self.candidate_emails = {keys[k]: holder for k, holder in held.items()}

    def resolve(self, reference: Reference, cells: Cells) -> UUID | None:
        """The record the row's reference names; None when the row leaves it blank (and
        may); Unresolved, saying what was looked for, when it names none or several."""
        target = reference.target
        given = cells.get(reference.id_column)
        if given:
            as_id = _uuid(given)
            if as_id is not None and as_id in self.ids[target]:
                return as_id
            imported = imported_id(self.tenant_id, target, given)
            if imported in self.ids[target]:
                return imported
        keys = [cells.get(c) for c in reference.key_columns]
        if all(keys):
            return self._by_key(reference, [k for k in keys if k], cells)
        if given:
            raise Unresolved(
                f"{reference.id_column}: no {target} {given} in this agency (nor imported "
                f"from that id); import the {target}s first, or give "
                f"{' and '.join(reference.key_columns)}"
            )
        if reference.required:
            raise Unresolved(
                f"{reference.id_column}: blank; give it or {' and '.join(reference.key_columns)}"
            )
        return None

    def _by_key(self, reference: Reference, keys: list[str], cells: Cells) -> UUID:
        target = reference.target
        found: list[UUID]
        if target == "client":
            found = self.client_names.get(keys[0].lower(), [])
        elif target == "contact":
            client = cells.get("client_id") or cells.get("client")
            holders = self.contact_emails.get(keys[0].lower(), [])
            client_id = self._client_of(cells) if client else None
            found = [c for c, owner in holders if client_id is None or owner == client_id]
        elif target == "candidate":
            try:
                email = normalize_email(keys[0])
            except RTError:
                raise Unresolved("candidate_email is not an e-mail address") from None
            holder = self.candidate_emails.get(email)
            found = [holder] if holder else []
        else:
            client_id = self._client_of(cells)
            found = self.requisitions.get((keys[0].lower(), client_id), [])
        # An e-mail is personal data: the report names the column, not the address.
        what = " and ".join(
            c if c.endswith("email") else f"{c} '{k}'"
            for c, k in zip(reference.key_columns, keys, strict=True)
        )
        if not found:
            raise Unresolved(f"no {target} with {what} in this agency")
        if len(found) > 1:
            raise Unresolved(
                f"{len(found)} {target}s have {what}; give {reference.id_column} to choose one"
            )
        return found[0]

    def _client_of(self, cells: Cells) -> UUID:
        client_ref = Reference("client_id", "client", "client_id", ("client",))
        client = self.resolve(client_ref, cells)
        assert client is not None
        return client
