"""Candidate reads: the Postgres record (e-mails and phones opened) joined with its Mongo
profile."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from core.errors import NotFound
from gateway.queries.rows import Listed
from gateway.server_timing import timed
from stores.bundle import Stores
from stores.postgres import candidates as repo
from stores.postgres.keyset import Window
from topics.candidates import CandidateSnapshot, compose_candidate


async def get_candidate(stores: Stores, tenant_id: UUID, candidate_id: UUID) -> CandidateSnapshot:
    # The record and the profile are read at once: neither needs the other, and one
    # after the other the answer waited for both round trips (the read of a write's 201).
    record, profiles = await asyncio.gather(
        _record(stores, tenant_id, candidate_id), _profiles(stores, tenant_id, candidate_id)
    )
    return compose_candidate(record, profiles.get(str(candidate_id)))


async def _record(stores: Stores, tenant_id: UUID, candidate_id: UUID) -> dict[str, Any]:
    with timed("read-record"):
        async with stores.db.lookup() as conn:
            record = await repo.get_candidate(conn, tenant_id, candidate_id)
        if record is None:
            raise NotFound(f"no candidate {candidate_id}")
        (opened,) = await stores.at_rest.open_candidates([record])
        return opened


async def _profiles(stores: Stores, tenant_id: UUID, candidate_id: UUID) -> dict[str, Any]:
    with timed("read-profile"):
        return await stores.mongo.get_profiles(tenant_id, [candidate_id])


async def list_candidates(
    stores: Stores, tenant_id: UUID, window: Window, *, status: str | None
) -> Listed[CandidateSnapshot]:
    async with stores.db.lookup() as conn:
        found = await repo.list_candidates(conn, tenant_id, window, status=status)
    records = await stores.at_rest.open_candidates(found.rows)
    profiles = await stores.mongo.get_profiles(tenant_id, [r["id"] for r in records])
    items = [compose_candidate(r, profiles.get(str(r["id"]))) for r in records]
    return Listed(items, found.next_after)
