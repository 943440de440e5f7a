"""`refactortrack keys backfill`: seal and blind-index what was stored before encryption at
rest (migration 0020). `refactortrack migrate` runs it after the schema; it is idempotent,
works in batches (each its own transaction, so it can be stopped and run again), and on a
database written since 0020 it only looks and finds nothing.

Why a command and not the migration itself: sealing needs DATA_MASTER_KEY and the app's
keyring (async code, where Alembic runs synchronously), and resume files live in MongoDB,
which no Postgres migration's transaction reaches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from stores.bundle import Stores
from stores.postgres import blind_indexes as index_repo
from stores.postgres import candidates as candidates_repo
from stores.postgres import clients as clients_repo

BATCH = 500

Advance = Callable[[str, int], None]
"""Called with what was just done and how many."""


@dataclass
class BackfillSummary:
    sealing: bool = True
    candidates: int = 0
    contact_points: int = 0
    contact_point_clashes: int = 0
    contacts: int = 0
    files: int = 0

    @property
    def total(self) -> int:
        return self.candidates + self.contact_points + self.contacts + self.files


async def _candidates(stores: Stores, advance: Advance) -> int:
    """Seal e-mails and phones still in the clear, and give their candidates match keys."""
    done = 0
    while True:
        async with stores.db.transaction() as conn:
            rows = await candidates_repo.candidates_in_clear(conn, BATCH)
            if not rows:
                return done
            by_tenant: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_tenant[row["tenant_id"]].append(row)
            indexes = await stores.at_rest.indexes(conn, by_tenant)
            for tenant_id, records in by_tenant.items():
                index = indexes[tenant_id]
                # A record partly sealed (a crash between batches cannot leave one, but a
                # value copied in by hand could): opened first, so every value is known.
                opened = await stores.at_rest.open_candidates(records)
                sealed = await stores.at_rest.seal_candidates(tenant_id, opened)
                await candidates_repo.set_contact_values(conn, sealed)
                await index_repo.replace_match_keys(
                    conn,
                    tenant_id,
                    [r["id"] for r in opened],
                    [
                        row
                        for r in opened
                        for row in index.match_rows(r["id"], r["emails"], r["phones"])
                    ],
                )
            done += len(rows)
            advance("candidates", len(rows))


async def _contact_points(stores: Stores, advance: Advance) -> tuple[int, int]:
    """Contact points holding their value (key_version 0) get their blind index, one agency
    at a time under the exclusive hold of its index (as a rotation's switch)."""
    done = clashes = 0
    async with stores.db.read() as conn:
        tenants = await index_repo.tenants_with_clear_points(conn)
    for tenant_id in tenants:
        async with stores.db.transaction() as conn:
            version = await index_repo.hold_index_version(conn, tenant_id, exclusive=True)
            index = await stores.at_rest.index_at(tenant_id, version)
            points = await index_repo.contact_points_of(conn, tenant_id)
            digested = {(kind, digest) for kind, digest, v, _ in points if v != 0}
            changes: list[tuple[str, str, str]] = []
            taken: list[tuple[str, str]] = []
            for kind, value, v, _holder in points:
                if v != 0:
                    continue
                digest = index.point(kind, value)
                if (kind, digest) in digested:
                    # Claimed meanwhile under its digest by another candidate: that claim
                    # stands, the old one goes (both would break the unique guard).
                    taken.append((kind, value))
                else:
                    changes.append((kind, value, digest))
            await index_repo.delete_contact_points(conn, tenant_id, taken)
            done += await index_repo.redigest_contact_points(
                conn, tenant_id, changes, index.version
            )
            clashes += len(taken)
        advance("contact points", len(changes) + len(taken))
    return done, clashes


async def _contacts(stores: Stores, advance: Advance) -> int:
    done = 0
    while True:
        async with stores.db.transaction() as conn:
            rows = await clients_repo.contacts_in_clear(conn, BATCH)
            if not rows:
                return done
            sealed = [await stores.at_rest.seal_contact(r["tenant_id"], r) for r in rows]
            await clients_repo.set_contact_values(conn, sealed)
        done += len(rows)
        advance("contacts", len(rows))


async def _files(stores: Stores, advance: Advance) -> int:
    done = 0
    while True:
        docs = await stores.mongo.files_in_clear(BATCH)
        if not docs:
            return done
        for doc in docs:
            await stores.files.seal_stored(doc)
        done += len(docs)
        advance("resume files", len(docs))


async def backfill(stores: Stores, *, advance: Advance = lambda what, n: None) -> BackfillSummary:
    if not stores.keys.sealing:
        return BackfillSummary(sealing=False)
    summary = BackfillSummary()
    summary.candidates = await _candidates(stores, advance)
    summary.contact_points, summary.contact_point_clashes = await _contact_points(stores, advance)
    summary.contacts = await _contacts(stores, advance)
    summary.files = await _files(stores, advance)
    return summary
