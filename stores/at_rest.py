"""E-mails and phones at rest: sealed with their person's key, found by keyed blind indexes.

- `candidates.emails`, `candidates.phones` and client contacts' `email` and `phone` hold
  each value sealed (`core.crypto.seal_text`) with the person's key (stores/keyring.py),
  bound to the agency, the person and the field, so a value copied onto another record or
  field does not open. Erasing the person deletes the key: every copy, a backup's too,
  stops opening.
- The duplicate guard (`candidate_contact_points`) and the possible-duplicates pool
  (`candidate_match_keys`) hold keyed digests (`core.crypto.blind_index`) of the
  normalised values, made with the agency's index key: equal values give equal digests,
  and without the key a digest says nothing (an unkeyed hash of an e-mail is found by
  hashing guesses). `BlindIndex` is one agency's index at one key version.

Readers take a value that is not sealed as it is: one written before encryption at rest
(until `refactortrack keys backfill`), or with sealing off for a measurement.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from core import crypto
from domain.duplicates import match_keys
from stores.keyring import Keyring
from stores.postgres import blind_indexes as repo
from stores.postgres.candidates import ContactKey
from stores.postgres.database import Connection

log = logging.getLogger(__name__)

Row = dict[str, Any]

CANDIDATE_FIELDS = ("emails", "phones")
CONTACT_FIELDS = ("email", "phone")


def field_context(tenant_id: UUID, subject_id: UUID, field: str) -> bytes:
    """What a sealed value at rest is bound to: the agency, the person and the field."""
    return f"rt/at-rest/{tenant_id}/{subject_id}/{field}".encode()


def seal_fields(
    row: Mapping[str, Any], fields: Iterable[str], key: bytes, tenant_id: UUID, subject_id: UUID
) -> Row:
    """A copy of `row` with each value of these fields (a text, or a list of texts) sealed."""
    out = dict(row)
    sealer = crypto.TextSealer(key)  # set up once for the row's values
    for field in fields:
        if field not in out:
            continue
        context = field_context(tenant_id, subject_id, field)

        def seal(value: Any, context: bytes = context) -> Any:
            if not isinstance(value, str) or not value or crypto.is_sealed_text(value):
                return value
            return sealer.seal(value.encode(), context)

        if isinstance(out[field], list):
            out[field] = [seal(v) for v in out[field]]
        else:
            out[field] = seal(out[field])
    return out


def open_fields(
    row: Mapping[str, Any],
    fields: Iterable[str],
    key: bytes | None,
    tenant_id: UUID,
    subject_id: UUID,
) -> tuple[Row, bool]:
    """A copy of `row` with each sealed value opened, and whether all of them opened. A value
    the key does not open (there is no key: the person was erased) is left out of a list,
    and is None in a field of one value."""
    out = dict(row)
    whole = True
    sealer = crypto.TextSealer(key) if key is not None else None
    for field in fields:
        if field not in out:
            continue
        context = field_context(tenant_id, subject_id, field)

        def open_one(value: Any, context: bytes = context) -> Any:
            nonlocal whole
            if not crypto.is_sealed_text(value):
                return value
            if sealer is not None:
                try:
                    return sealer.open(value, context).decode()
                except crypto.CannotOpen:
                    pass
            whole = False
            return None

        if isinstance(out[field], list):
            out[field] = [o for o in (open_one(v) for v in out[field]) if o is not None]
        else:
            out[field] = open_one(out[field])
    return out, whole


def has_sealed(row: Mapping[str, Any], fields: Iterable[str]) -> bool:
    for field in fields:
        value = row.get(field)
        values = value if isinstance(value, list) else [value]
        if any(crypto.is_sealed_text(v) for v in values):
            return True
    return False


@dataclass(frozen=True, slots=True)
class BlindIndex:
    """One agency's blind indexes at one agency key version. Without a key (version 0:
    sealing is off, or values from before encryption at rest) a digest is the value."""

    tenant_id: UUID
    version: int
    key: bytes | None

    def point(self, kind: str, value: str) -> str:
        """The contact point (duplicate guard) digest of a normalised e-mail or phone."""
        return value if self.key is None else crypto.blind_index(self.key, value)

    def match(self, kind: str, value: str) -> str:
        """A match key's digest; the kind is hashed in, so kinds never meet."""
        keyed = f"{kind}:{value}"
        return keyed if self.key is None else crypto.blind_index(self.key, keyed)

    def points(self, points: Iterable[tuple[str, str]]) -> list[ContactKey]:
        return [(self.tenant_id, kind, self.point(kind, value)) for kind, value in points]

    def match_digests(self, emails: Iterable[str], phones: Iterable[str]) -> list[str]:
        return sorted(self.match(kind, value) for kind, value in match_keys(emails, phones))

    def match_rows(
        self, candidate_id: UUID, emails: Iterable[str], phones: Iterable[str]
    ) -> list[Row]:
        """The candidate's `candidate_match_keys` rows."""
        return [
            {
                "tenant_id": self.tenant_id,
                "candidate_id": candidate_id,
                "kind": kind,
                "digest": self.match(kind, value),
                "key_version": self.version,
            }
            for kind, value in sorted(match_keys(emails, phones))
        ]


class AtRest:
    """Seals and opens contact points at rest, and gives each agency's blind index."""

    def __init__(self, keys: Keyring) -> None:
        self._keys = keys

    @property
    def sealing(self) -> bool:
        return self._keys.sealing

    # --- blind indexes ------------------------------------------------------------------

    async def index(self, conn: Connection, tenant_id: UUID) -> BlindIndex:
        """The agency's blind index as stored, held for `conn`'s transaction: a rotation
        switching the agency to a new key waits for this transaction, or it for the switch."""
        if not self.sealing:
            return BlindIndex(tenant_id, 0, None)
        return await self.index_at(tenant_id, await repo.hold_index_version(conn, tenant_id))

    async def index_at(self, tenant_id: UUID, version: int) -> BlindIndex:
        """The agency's blind index at this version (0: the agency has no key yet, and gets
        its first, in a transaction of its own)."""
        if version == 0:
            version, _ = await self._keys.agency_key(tenant_id)
        return BlindIndex(tenant_id, version, await self._keys.index_key(tenant_id, version))

    async def indexes(self, conn: Connection, tenant_ids: Iterable[UUID]) -> dict[UUID, BlindIndex]:
        """Several agencies' indexes, held in one order so two batches never deadlock."""
        return {t: await self.index(conn, t) for t in sorted(set(tenant_ids), key=str)}

    # --- candidates ---------------------------------------------------------------------

    async def seal_candidates(self, tenant_id: UUID, records: Sequence[Row]) -> list[Row]:
        """Candidate rows (`id`, `emails`, `phones`) with e-mails and phones sealed, each
        with the candidate's key (made when missing)."""
        if not self.sealing or not records:
            return list(records)
        keys = await self._keys.people(
            tenant_id, [], create={r["id"]: "candidate" for r in records}
        )
        return [
            seal_fields(r, CANDIDATE_FIELDS, keys[r["id"]], tenant_id, r["id"]) for r in records
        ]

    async def open_candidates(
        self, records: Sequence[Row], *, unopened: set[UUID] | None = None
    ) -> list[Row]:
        """Candidate rows (with `tenant_id` and `id`) with e-mails and phones opened; the
        ids of those with a value that did not open go into `unopened`."""
        return await self._open(records, CANDIDATE_FIELDS, "candidate", unopened)

    # --- client contacts ----------------------------------------------------------------

    async def seal_contact(self, tenant_id: UUID, row: Row) -> Row:
        if not self.sealing:
            return dict(row)
        key = await self._keys.person(tenant_id, row["id"], create_as="contact")
        assert key is not None
        return seal_fields(row, CONTACT_FIELDS, key, tenant_id, row["id"])

    async def open_contacts(self, rows: Sequence[Row]) -> list[Row]:
        return await self._open(rows, CONTACT_FIELDS, "contact")

    async def _open(
        self,
        rows: Sequence[Row],
        fields: tuple[str, ...],
        noun: str,
        unopened: set[UUID] | None = None,
    ) -> list[Row]:
        sealed: dict[UUID, set[UUID]] = defaultdict(set)
        for row in rows:
            if has_sealed(row, fields):
                sealed[row["tenant_id"]].add(row["id"])
        keys: dict[tuple[UUID, UUID], bytes] = {}
        for tenant_id, ids in sealed.items():
            found = await self._keys.people(tenant_id, ids)
            keys.update({(tenant_id, s): k for s, k in found.items()})
        out: list[Row] = []
        for row in rows:
            if row["id"] not in sealed.get(row["tenant_id"], ()):
                out.append(dict(row))
                continue
            key = keys.get((row["tenant_id"], row["id"]))
            opened, whole = open_fields(row, fields, key, row["tenant_id"], row["id"])
            if not whole:
                # Erased a moment ago (the record goes with the key), or a value copied
                # from elsewhere: what does not open is not shown.
                log.warning("%s %s: a sealed contact point did not open", noun, row["id"])
                if unopened is not None:
                    unopened.add(row["id"])
            out.append(opened)
        return out
