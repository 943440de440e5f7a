"""`refactortrack reindex`: the candidate index rebuilt from Postgres and MongoDB.

A full rebuild writes every candidate into a new index while searches keep using the
old one, then moves the alias in one atomic step, then writes again whatever changed
meanwhile (the indexer kept the old index current during the copy) and removes whoever
was erased meanwhile. With `--tenant`, only that agency's documents are rewritten in
place, no swap: a repair.

Stage counts come from the submissions table. Writes after the swap (catch-up, repair)
overwrite without a version check: the indexer's scripted updates (resume text, stages)
move a document's internal version past its candidate version, so a versioned write
would be refused as stale; what Postgres holds at the time of the read is the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from agents.search_indexer.documents import candidate_document
from agents.search_indexer.pipeline import stage_summary
from core.clock import utcnow
from domain.pipeline import CLOSED_STAGES
from domain.skills import text_skill_keys
from stores.bundle import Stores
from stores.postgres.candidates import count_listed, listed_page
from stores.postgres.documents import latest_documents
from stores.postgres.erasure import erased_since
from stores.postgres.pipeline import submission_stages
from stores.postgres.users import find_tenant
from topics.candidates import compose_candidate

PAGE = 1000


@dataclass
class ReindexSummary:
    index: str
    candidates: int = 0
    caught_up: int = 0
    removed: int = 0
    swapped_from: list[str] | None = None
    segments: int | None = None  # of the new index, merged after its load


async def _pages(
    stores: Stores, tenant_id: UUID | None, since: datetime | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Candidate records in (created_at, id) order, a page at a time (merged ones left out)."""
    after: tuple[datetime, UUID] | None = None
    while True:
        async with stores.db.read() as conn:
            page = await listed_page(conn, tenant_id, limit=PAGE, after=after, changed_since=since)
        if not page:
            return
        yield page
        after = (page[-1]["created_at"], page[-1]["id"])


async def _documents(stores: Stores, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Index documents for a page of records: profile from MongoDB, latest resume text."""
    # E-mails and phones opened first: that brings the people's keys the files need too.
    page = await stores.at_rest.open_candidates(page)
    by_tenant: dict[UUID, list[UUID]] = {}
    for record in page:
        by_tenant.setdefault(record["tenant_id"], []).append(record["id"])
    profiles: dict[str, dict[str, Any]] = {}
    for tenant_id, ids in by_tenant.items():
        profiles.update(await stores.mongo.get_profiles(tenant_id, ids))
    ids = [r["id"] for r in page]
    async with stores.db.read() as conn:
        latest = await latest_documents(conn, ids)
        entries = await submission_stages(conn, ids)
    found = await asyncio.gather(*(stores.files.text(t, d) for _, d, t in latest))
    texts = {
        str(candidate_id): text for (candidate_id, _, _), text in zip(latest, found, strict=True)
    }
    docs = []
    for record in page:
        snapshot = compose_candidate(record, profiles.get(str(record["id"])))
        doc = candidate_document(snapshot.model_dump(mode="json"))
        if texts.get(doc["id"]):
            doc["resume_text"] = texts[doc["id"]]
            doc["resume_skill_keys"] = text_skill_keys(texts[doc["id"]])
        if doc["id"] in entries:
            doc.update(stage_summary(entries[doc["id"]], CLOSED_STAGES))
        docs.append(doc)
    return docs


async def _write(
    stores: Stores, index: str, docs: list[dict[str, Any]], *, versioned: bool = True
) -> None:
    await stores.search.write_candidates(index, docs, versioned=versioned)


async def reindex(
    stores: Stores,
    *,
    tenant: str | None = None,
    total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> ReindexSummary:
    search = stores.search
    alias = search.candidates_alias
    tenant_id: UUID | None = None
    if tenant is not None:
        async with stores.db.read() as conn:
            tenant_id = await find_tenant(conn, tenant)
        if tenant_id is None:
            raise LookupError(f"no agency '{tenant}'")
    async with stores.db.read() as conn:
        total(await count_listed(conn, tenant_id))

    if tenant_id is not None:
        summary = ReindexSummary(index=alias)
        async for page in _pages(stores, tenant_id):
            await _write(stores, alias, await _documents(stores, page), versioned=False)
            summary.candidates += len(page)
            advance(len(page))
        return summary

    started = utcnow()
    index = f"{search.candidates_index()}-{started:%Y%m%d%H%M%S}"
    # Searches read the old index while this one loads.
    await search.create_loading_index(index)
    summary = ReindexSummary(index=index)
    async for page in _pages(stores, None):
        await _write(stores, index, await _documents(stores, page))
        summary.candidates += len(page)
        advance(len(page))
    # Searched at once by every agency: merged first, so no search pays for the load's
    # segments (candidate_index.merge_segments).
    summary.segments = await search.merge_candidate_segments(index)
    await search.open_for_search(index)
    old = await search.move_candidates_alias(index)
    summary.swapped_from = old
    # Changes the indexer wrote to the old index during the copy, written again here.
    async for page in _pages(stores, None, since=started):
        await _write(stores, index, await _documents(stores, page), versioned=False)
        summary.caught_up += len(page)
    async with stores.db.read() as conn:
        erased = await erased_since(conn, started)
    for candidate_id in erased:
        await search.delete_candidate(candidate_id)
        summary.removed += 1
    for name in old:
        await search.delete_index(name)
    return summary
