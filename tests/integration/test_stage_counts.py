"""Stage counts folded into candidate documents, against the real OpenSearch.

The candidate's snapshots and its submissions' events reach the index in any order,
some twice: every order must end in the same document.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from agents.search_indexer.pipeline import stage_summary
from domain.pipeline import CLOSED_STAGES
from stores.bundle import Stores
from stores.search.candidate_writes import SubmissionStages
from tests.integration.test_stores import _doc

pytestmark = pytest.mark.stack


async def _source(stores: Stores, candidate_id: uuid.UUID) -> dict[str, Any]:
    found = await stores.search.client.get(
        index=stores.search.candidates_alias, id=str(candidate_id)
    )
    source: dict[str, Any] = found["_source"]
    return source


async def test_any_order_and_redelivery_give_the_same_counts(stores: Stores) -> None:
    tenant = uuid.uuid4()
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    resume = "Built trading systems in Rust"

    def stage(sid: str, name: str, version: int) -> tuple[str, Any]:
        return ("stage", {sid: {"stage": name, "version": version}})

    steps: list[tuple[str, Any]] = [
        ("candidate", 1),
        ("candidate", 2),
        stage(first, "sourced", 1),
        stage(first, "submitted", 2),
        stage(first, "interviewing", 3),
        stage(second, "sourced", 1),
        stage(second, "rejected", 2),
        stage(third, "sourced", 1),
        stage(third, "offered", 2),
        stage(third, "placed", 3),
    ]
    expected_counts = {"interviewing": 1, "rejected": 1, "placed": 1}
    rng = random.Random(7)
    for trial in range(6):
        cid = uuid.uuid4()
        order = steps + rng.sample(steps, 4)  # some delivered twice
        rng.shuffle(order)
        for kind, value in order:
            if kind == "candidate":
                doc = _doc(tenant, cid, value, f"headline v{value}")
                await stores.search.bulk_index_candidates([doc])
            else:
                await stores.search.fold_submissions(
                    [SubmissionStages(str(tenant), str(cid), value)]
                )
        # A resume's event follows its candidate's creation (one partition); it stays
        # through the later snapshots and folds.
        await stores.search.bulk_index_candidates([], {str(cid): resume})
        await stores.search.bulk_index_candidates([_doc(tenant, cid, 2, "headline v2")])
        source = await _source(stores, cid)
        assert source["version"] == 2, (trial, order)
        assert source["headline"] == "headline v2"
        assert source["resume_text"] == resume
        assert source["stage_counts"] == expected_counts, (trial, order)
        assert sorted(source["stages"]) == sorted(expected_counts)
        assert source["active_submissions"] == 1
        # The same summary the reindex computes from Postgres.
        entries = source["submissions"]
        assert stage_summary(entries, CLOSED_STAGES)["stage_counts"] == expected_counts


async def test_a_stub_is_invisible_until_its_candidate_arrives(stores: Stores) -> None:
    tenant, cid = uuid.uuid4(), uuid.uuid4()
    submission = {str(uuid.uuid4()): {"stage": "screened", "version": 2}}
    await stores.search.fold_submissions([SubmissionStages(str(tenant), str(cid), submission)])
    await stores.search.client.indices.refresh(index=stores.search.candidates_alias)
    found = await stores.search.search_candidates(tenant, None, size=5, search_after=None)
    assert found["hits"]["hits"] == []

    await stores.search.bulk_index_candidates([_doc(tenant, cid, 1, "Data engineer")])
    await stores.search.client.indices.refresh(index=stores.search.candidates_alias)
    found = await stores.search.search_candidates(tenant, None, size=5, search_after=None)
    [hit] = found["hits"]["hits"]
    assert hit["_source"]["headline"] == "Data engineer"
    assert hit["_source"]["stage_counts"] == {"screened": 1}
