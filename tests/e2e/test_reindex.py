"""`refactortrack reindex`: a new index, the alias swapped, searches answering throughout."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from agents.search_indexer.rebuild import rebuild_requisitions, rebuild_saved_searches
from agents.search_indexer.reindex import reindex
from stores.bundle import Stores
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually, open_requisition, post_json

pytestmark = pytest.mark.stack


async def test_reindex_swaps_the_alias_while_searches_keep_answering(
    agency: Agency, system: System
) -> None:
    word = f"wombat{uuid.uuid4().hex[:6]}"
    made = []
    for _ in range(3):
        r = await agency.client.post("/api/v1/candidates", json=candidate_body(headline=word))
        assert r.status_code == 201
        made.append(r.json()["id"])
    resume = f"Led the {word}x migration".encode()
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{made[0]}/documents",
        files={"file": ("cv.txt", resume, "text/plain")},
    )
    assert uploaded.status_code == 201
    requisition = await open_requisition(agency, 1)
    await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": made[1], "requisition_id": requisition["id"]},
    )

    async def hits(q: str) -> list[str]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": q, "limit": 50})
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    await eventually(lambda: hits(f"{word}x"), what="the resume indexed")
    await eventually(lambda: _all_found(hits, word, len(made)), what="the candidates indexed")

    answers: list[int] = []
    done = asyncio.Event()

    async def keep_searching() -> None:
        while not done.is_set():
            answers.append(len(await hits(word)))
            await asyncio.sleep(0.05)

    stores = Stores(system.settings)
    await stores.start()
    try:
        before = list(
            await stores.search.client.indices.get_alias(name=stores.search.candidates_alias)
        )
        searching = asyncio.create_task(keep_searching())
        summary = await reindex(stores)
        done.set()
        await searching
        after = list(
            await stores.search.client.indices.get_alias(name=stores.search.candidates_alias)
        )
        assert after == [summary.index]
        assert summary.swapped_from == before
        assert not await stores.search.client.indices.exists(index=before[0])
        assert summary.candidates >= len(made)

        repaired = await reindex(stores, tenant=agency.slug)
        assert repaired.candidates == len(made)
    finally:
        await stores.stop()

    # Every search during the rebuild found every candidate; the resume text survived.
    assert answers
    assert min(answers) == len(made)
    assert await hits(f"{word}x") == [made[0]]
    # Stage counts are rebuilt from the submissions table.
    r = await agency.client.get("/api/v1/search/candidates", params={"stage": "sourced"})
    assert [item["id"] for item in r.json()["items"]] == [made[1]]
    assert r.json()["items"][0]["stage_counts"] == {"sourced": 1}
    late = await agency.client.post("/api/v1/candidates", json=candidate_body(headline=word))
    assert late.status_code == 201
    await eventually(lambda: _all_found(hits, word, len(made) + 1), what="indexed after the swap")


async def _all_found(hits: object, word: str, n: int) -> bool:
    assert callable(hits)
    return len(await hits(word)) == n


async def test_reindex_writes_requisitions_and_saved_searches_back(
    agency: Agency, system: System
) -> None:
    """After a restore the requisition index and the percolator start empty: reindex
    writes every requisition and every alerting saved search back from Postgres."""
    requisition = await open_requisition(agency, 2)
    saved = await post_json(
        agency, "/api/v1/saved-searches", {"name": "Kafka people", "q": "kafka"}
    )

    async def found() -> bool:
        r = await agency.client.get("/api/v1/search/requisitions", params={"q": "platform"})
        return requisition["id"] in [h["id"] for h in r.json()["items"]]

    await eventually(found, what="the requisition indexed")
    stores = Stores(system.settings)
    await stores.start()
    try:
        search = stores.search
        # What a restore leaves: the documents gone from both indexes.
        await search.client.delete(index=search.requisitions_alias, id=requisition["id"])
        await search.client.delete(index=search.saved_searches_alias, id=saved["id"], refresh=True)
        await search.client.indices.refresh(index=search.requisitions_alias)
        assert not await found()
        await reindex(stores, tenant=agency.slug)
        assert await rebuild_requisitions(stores, agency.tenant_id) >= 1
        assert await rebuild_saved_searches(stores, agency.tenant_id) == 1
        await search.client.indices.refresh(index=search.requisitions_alias)
        assert await found()
        kept = await search.client.get(index=search.saved_searches_alias, id=saved["id"])
        assert kept["_source"]["tenant_id"] == str(agency.tenant_id)
    finally:
        await stores.stop()
