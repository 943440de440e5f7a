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

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import distinct_on

from agents.search_indexer.documents import candidate_document
from agents.search_indexer.pipeline import stage_summary
from core.clock import utcnow
from stores.bundle import Stores
from stores.postgres.tables import candidates, documents, erasures, submissions, tenants
from stores.versioned_bulk import index_versioned
from topics.candidates import compose_candidate
from domain.pipeline import CLOSED_STAGES

PAGE = 1000


@dataclass
class ReindexSummary:
    index: str
    candidates: int = 0
    caught_up: int = 0
    removed: int = 0
    swapped_from: list[str] | None = None


async def _pages(
    stores: Stores, tenant_id: UUID | None, since: datetime | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Candidate records in (created_at, id) order, a page at a time (merged ones left out)."""
    after: tuple[datetime, UUID] | None = None
    while True:
        query = select(candidates).where(candidates.c.merged_into.is_(None))
        if tenant_id is not None:
            query = query.where(candidates.c.tenant_id == tenant_id)
        if since is not None:
            # Changed themselves, or moved in the pipeline, since `since`.
            moved = select(submissions.c.candidate_id).where(submissions.c.updated_at >= since)
            query = query.where(or_(candidates.c.updated_at >= since, candidates.c.id.in_(moved)))
        if after is not None:
            query = query.where(
                or_(
                    candidates.c.created_at > after[0],
                    and_(candidates.c.created_at == after[0], candidates.c.id > after[1]),
                )
            )
        query = query.order_by(candidates.c.created_at, candidates.c.id).limit(PAGE)
        async with stores.db.read() as conn:
            page = [dict(r) for r in (await conn.execute(query)).mappings().all()]
        if not page:
            return
        yield page
        after = (page[-1]["created_at"], page[-1]["id"])


async def _documents(stores: Stores, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Index documents for a page of records: profile from MongoDB, latest resume text."""
    by_tenant: dict[UUID, list[UUID]] = {}
    for record in page:
        by_tenant.setdefault(record["tenant_id"], []).append(record["id"])
    profiles: dict[str, dict[str, Any]] = {}
    for tenant_id, ids in by_tenant.items():
        profiles.update(await stores.mongo.get_profiles(tenant_id, ids))
    async with stores.db.read() as conn:
        latest = (
            await conn.execute(
                select(documents.c.candidate_id, documents.c.id, documents.c.tenant_id)
                .where(documents.c.candidate_id.in_([r["id"] for r in page]))
                .order_by(documents.c.candidate_id, documents.c.created_at.desc())
                .ext(distinct_on(documents.c.candidate_id))
            )
        ).all()
    files = await asyncio.gather(
        *(stores.mongo.get_file(UUID(str(t)), UUID(str(d))) for _, d, t in latest)
    )
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    async with stores.db.read() as conn:
        found = await conn.execute(
            select(
                submissions.c.candidate_id,
                submissions.c.id,
                submissions.c.stage,
                submissions.c.version,
            ).where(submissions.c.candidate_id.in_([r["id"] for r in page]))
        )
        for candidate_id, submission_id, stage, version in found:
            entries.setdefault(str(candidate_id), {})[str(submission_id)] = {
                "stage": stage,
                "version": version,
            }
    texts = {
        str(candidate_id): (f or {}).get("text")
        for (candidate_id, _, _), f in zip(latest, files, strict=True)
    }
    docs = []
    for record in page:
        snapshot = compose_candidate(record, profiles.get(str(record["id"])))
        doc = candidate_document(snapshot.model_dump(mode="json"))
        if texts.get(doc["id"]):
            doc["resume_text"] = texts[doc["id"]]
        if doc["id"] in entries:
            doc.update(stage_summary(entries[doc["id"]], CLOSED_STAGES))
        docs.append(doc)
    return docs


async def _write(
    stores: Stores, index: str, docs: list[dict[str, Any]], *, versioned: bool = True
) -> None:
    await index_versioned(stores.search.client, index, docs, versioned=versioned)


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
            found = (
                await conn.execute(select(tenants.c.id).where(tenants.c.slug == tenant))
            ).scalar_one_or_none()
        if found is None:
            raise LookupError(f"no agency '{tenant}'")
        tenant_id = UUID(str(found))
    async with stores.db.read() as conn:
        count = select(candidates.c.id).where(candidates.c.merged_into.is_(None))
        if tenant_id is not None:
            count = count.where(candidates.c.tenant_id == tenant_id)
        total(len((await conn.execute(count)).all()))

    if tenant_id is not None:
        summary = ReindexSummary(index=alias)
        async for page in _pages(stores, tenant_id):
            await _write(stores, alias, await _documents(stores, page), versioned=False)
            summary.candidates += len(page)
            advance(len(page))
        return summary

    started = utcnow()
    index = f"{search.candidates_index()}-{started:%Y%m%d%H%M%S}"
    # Refreshing while loading only slows the load; searches read the old index meanwhile.
    await search.client.indices.create(index=index, body=search.candidate_index_body("-1"))
    summary = ReindexSummary(index=index)
    async for page in _pages(stores, None):
        await _write(stores, index, await _documents(stores, page))
        summary.candidates += len(page)
        advance(len(page))
    await search.client.indices.put_settings(
        index=index,
        body={"index": {"refresh_interval": stores.settings.search_refresh_interval}},
    )
    await search.client.indices.refresh(index=index)
    old = list(await search.client.indices.get_alias(name=alias))
    actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": alias}} for i in old]
    actions.append({"add": {"index": index, "alias": alias}})
    await search.client.indices.update_aliases(body={"actions": actions})
    summary.swapped_from = old
    # Changes the indexer wrote to the old index during the copy, written again here.
    async for page in _pages(stores, None, since=started):
        await _write(stores, index, await _documents(stores, page), versioned=False)
        summary.caught_up += len(page)
    since = select(erasures.c.candidate_id).where(erasures.c.erased_at >= started)
    async with stores.db.read() as conn:
        erased: list[UUID] = [UUID(str(r[0])) for r in await conn.execute(since)]
    for candidate_id in erased:
        await search.delete_candidate(candidate_id)
        summary.removed += 1
    for name in old:
        await search.client.indices.delete(index=name)
    return summary
