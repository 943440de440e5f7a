"""Rotating an agency's key (`refactortrack keys rotate --tenant T`), and what `keys show`
prints.

1. A new agency key is made in memory, and every blind index of the agency (contact points,
   match keys) is computed under it from the opened e-mails and phones, outside any lock.
2. **The switch**, one transaction under the exclusive hold of the agency's blind indexes
   (stores/postgres/blind_indexes.py): candidates that changed since step 1 are computed
   again, every contact point and match key is rewritten with its new digest, and the new
   version is stored, which makes it the version in use. Creates, updates and duplicate
   look-ups of the agency hold the same index shared, so they wait for the switch (they do
   not fail) and then compute with the new version; none ever compares digests of two keys.
3. Every person key still wrapped by an older version is wrapped again by the new one, in
   batches. Nothing is re-encrypted: a person key is unchanged, only its wrapping.
4. The older versions are deleted. A person key must name a stored version (a foreign
   key), so a key made meanwhile by a process that still took the old version for current
   either blocks the delete (it is rewrapped and the delete tried again) or fails to be
   made (that process reads the versions again and makes it under the new one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from core import crypto
from stores.at_rest import BlindIndex
from stores.bundle import Stores
from stores.keyring import index_key_of
from stores.postgres import blind_indexes as index_repo
from stores.postgres import candidates as candidates_repo
from stores.postgres import keys as keys_repo
from stores.postgres.database import Connection

PAGE = 1000
DELETE_ATTEMPTS = 5

Stage = Callable[[str, int], None]
"""A new stage of the work begins: its name and how many items it has."""
Advance = Callable[[int], None]


class RotationRefused(Exception):
    """The rotation cannot start or finish; nothing of it was applied (its message says why
    and what to do)."""


@dataclass
class RotationSummary:
    tenant_id: UUID
    old_versions: list[int]
    new_version: int
    candidates: int = 0
    contact_points: int = 0
    stale_contact_points: int = 0
    match_keys: int = 0
    person_keys: int = 0
    switch_seconds: float = 0.0


@dataclass
class _IndexPlan:
    """Every digest the agency's blind indexes will hold under the new version, computed
    from the opened values: contact points by their old digest (or their value, for one
    from before encryption at rest), match keys by candidate."""

    old: BlindIndex
    new: BlindIndex
    points: dict[tuple[str, str], str] = field(default_factory=dict)
    versions: dict[UUID, int] = field(default_factory=dict)
    matches: dict[UUID, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        for record in records:
            for kind, values in (("email", record["emails"]), ("phone", record["phones"])):
                for value in values or []:
                    new = self.new.point(kind, value)
                    self.points[(kind, self.old.point(kind, value))] = new
                    self.points[(kind, value)] = new
            self.versions[record["id"]] = record["version"]
            self.matches[record["id"]] = self.new.match_rows(
                record["id"], record["emails"] or [], record["phones"] or []
            )


async def _opened(stores: Stores, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unopened: set[UUID] = set()
    opened = await stores.at_rest.open_candidates(records, unopened=unopened)
    if unopened:
        raise RotationRefused(
            f"{len(unopened)} candidate(s) have e-mails or phones their key does not open "
            f"(first: {sorted(map(str, unopened))[0]}); nothing was rotated. Their blind "
            "indexes could not be computed again, so duplicates of them would go unnoticed"
        )
    return opened


async def _plan(
    stores: Stores, tenant_id: UUID, plan: _IndexPlan, stage: Stage, advance: Advance
) -> None:
    async with stores.db.read() as conn:
        stage("blind indexes", await candidates_repo.count_candidates(conn, tenant_id))
    after: UUID | None = None
    while True:
        async with stores.db.read() as conn:
            page = await candidates_repo.contact_values_page(
                conn, tenant_id, after=after, limit=PAGE
            )
        if not page:
            return
        plan.add(await _opened(stores, page))
        advance(len(page))
        after = page[-1]["id"]


async def _switch(
    stores: Stores,
    conn: Connection,
    plan: _IndexPlan,
    new_key: bytes,
    summary: RotationSummary,
) -> None:
    tenant_id, old_version, new_version = plan.old.tenant_id, plan.old.version, plan.new.version
    held = await index_repo.hold_index_version(conn, tenant_id, exclusive=True)
    if held != old_version:
        raise RotationRefused(
            f"the agency's key moved from version {old_version} to {held} meanwhile "
            "(another rotation?); nothing of this one was applied: run it again"
        )
    versions = await candidates_repo.candidate_versions(conn, tenant_id)
    changed = [c for c, v in versions.items() if plan.versions.get(c) != v]
    if changed:
        rows = await candidates_repo.contact_values_of(conn, tenant_id, changed)
        plan.add(await _opened(stores, rows))
    changes: list[tuple[str, str, str]] = []
    stale: list[tuple[str, str]] = []
    for kind, digest, _version, _holder in await index_repo.contact_points_of(conn, tenant_id):
        new = plan.points.get((kind, digest))
        if new is None:
            # No record holds this value any more (its holder's record opened whole), so
            # the point guards nothing: it goes.
            stale.append((kind, digest))
        else:
            changes.append((kind, digest, new))
    await index_repo.delete_contact_points(conn, tenant_id, stale)
    summary.contact_points = await index_repo.redigest_contact_points(
        conn, tenant_id, changes, new_version
    )
    summary.stale_contact_points = len(stale)
    match_rows = [row for c in versions for row in plan.matches.get(c, [])]
    await index_repo.delete_all_match_keys(conn, tenant_id)
    await index_repo.insert_match_keys(conn, match_rows)
    summary.match_keys = len(match_rows)
    summary.candidates = len(versions)
    wrapped = stores.keys.wrap_agency_key(tenant_id, new_version, new_key)
    if not await keys_repo.insert_agency_key(conn, tenant_id, new_version, wrapped):
        raise RotationRefused(f"version {new_version} exists already: run the rotation again")


async def _rewrap(
    stores: Stores, tenant_id: UUID, new_version: int, new_key: bytes, advance: Advance
) -> int:
    done = 0
    while True:
        async with stores.db.read() as conn:
            batch = await keys_repo.person_keys_under(conn, tenant_id, new_version, PAGE)
        if not batch:
            return done
        rows = []
        for subject_id, version, wrapped in batch:
            _, old_key = await stores.keys.agency_key(tenant_id, version)
            rows.append(
                (
                    subject_id,
                    version,
                    new_version,
                    stores.keys.rewrap(tenant_id, subject_id, old_key, new_key, wrapped),
                )
            )
        async with stores.db.transaction() as conn:
            done += await keys_repo.rewrap_person_keys(conn, tenant_id, rows)
        advance(len(batch))


async def rotate(
    stores: Stores,
    tenant_id: UUID,
    *,
    stage: Stage = lambda name, total: None,
    advance: Advance = lambda n: None,
) -> RotationSummary:
    """Rotate the agency's key: see the module's docstring for the steps."""
    if not stores.keys.sealing:
        raise RotationRefused("PERSONAL_DATA_SEALING is off: there is nothing sealed to rotate")
    async with stores.db.read() as conn:
        versions = sorted(await keys_repo.agency_key_versions(conn, tenant_id))
    if not versions:
        raise RotationRefused("the agency has no key yet (nothing of it is sealed): no rotation")
    old_version, old_key = await stores.keys.agency_key(tenant_id, versions[-1])
    new_version, new_key = old_version + 1, crypto.new_key()
    plan = _IndexPlan(
        BlindIndex(tenant_id, old_version, index_key_of(old_key)),
        BlindIndex(tenant_id, new_version, index_key_of(new_key)),
    )
    summary = RotationSummary(tenant_id, versions, new_version)

    await _plan(stores, tenant_id, plan, stage, advance)
    stage("switch", 1)
    started = time.monotonic()
    async with stores.db.transaction() as conn:
        await _switch(stores, conn, plan, new_key, summary)
    summary.switch_seconds = time.monotonic() - started
    advance(1)
    stores.keys.forget_agency(tenant_id)

    async with stores.db.read() as conn:
        stage("person keys", await keys_repo.count_person_keys_under(conn, tenant_id, new_version))
    summary.person_keys = await _rewrap(stores, tenant_id, new_version, new_key, advance)
    for _ in range(DELETE_ATTEMPTS):
        try:
            async with stores.db.transaction() as conn:
                await keys_repo.delete_agency_keys_below(conn, tenant_id, new_version)
        except IntegrityError:
            # A key made meanwhile under an old version: wrap it again and retry.
            summary.person_keys += await _rewrap(
                stores, tenant_id, new_version, new_key, lambda n: None
            )
            continue
        stores.keys.forget_agency(tenant_id)
        return summary
    raise RotationRefused(
        f"keys kept being made under the old version; version {new_version} is in use and "
        "every key made so far is wrapped by it: run the rotation again to delete the old one"
    )


@dataclass
class KeyVersion:
    version: int
    created_at: datetime
    person_keys: int
    contact_points: int
    match_keys: int


async def key_versions(stores: Stores, tenant_id: UUID) -> tuple[list[KeyVersion], int]:
    """The agency's key versions with what each wraps or indexes, and how many contact
    points are still from before encryption at rest (version 0). No key material."""
    async with stores.db.read() as conn:
        listed = await keys_repo.agency_key_list(conn, tenant_id)
        counts = await index_repo.index_counts(conn, tenant_id)
    out = [
        KeyVersion(
            version,
            created_at,
            counts["person keys"].get(version, 0),
            counts["contact points"].get(version, 0),
            counts["match keys"].get(version, 0),
        )
        for version, created_at in listed
    ]
    return out, counts["contact points"].get(0, 0)
