"""Stage counts in candidate search: the pipeline's events folded into the index."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually, move, open_requisition, post_json

pytestmark = pytest.mark.stack


async def _hit(agency: Agency, candidate_id: str, **params: Any) -> dict[str, Any] | None:
    r = await agency.client.get("/api/v1/search/candidates", params={"limit": 50, **params})
    assert r.status_code == 200, r.text
    return next((h for h in r.json()["items"] if h["id"] == candidate_id), None)


async def _counts_become(agency: Agency, candidate_id: str, counts: dict[str, int]) -> None:
    async def settled() -> bool:
        hit = await _hit(agency, candidate_id)
        return hit is not None and hit["stage_counts"] == counts

    await eventually(settled, what=f"stage counts {counts}")


async def test_stage_counts_follow_the_pipeline_and_a_merge(
    agency: Agency, other_agency: Agency
) -> None:
    first = await open_requisition(agency, 1)
    second = await open_requisition(agency, 1)
    third = await open_requisition(agency, 1)
    ada = await post_json(agency, "/api/v1/candidates", candidate_body(headline="Rust engineer"))
    subs = [
        await post_json(
            agency,
            "/api/v1/submissions",
            {"candidate_id": ada["id"], "requisition_id": r["id"]},
        )
        for r in (first, second)
    ]
    await _counts_become(agency, ada["id"], {"sourced": 2})

    await move(agency, subs[0]["id"], "interviewing")
    await move(agency, subs[1]["id"], "rejected")
    await _counts_become(agency, ada["id"], {"interviewing": 1, "rejected": 1})
    hit = await _hit(agency, ada["id"])
    assert hit is not None
    assert hit["active_submissions"] == 1

    # Filters and the facet read the same counts.
    assert await _hit(agency, ada["id"], stage="interviewing") is not None
    assert await _hit(agency, ada["id"], stage="offered") is None
    assert await _hit(agency, ada["id"], in_pipeline="true") is not None
    assert await _hit(agency, ada["id"], in_pipeline="false") is None
    r = await agency.client.get("/api/v1/search/candidates", params={"q": "rust"})
    facet = {f["value"]: f["count"] for f in r.json()["facets"]["stage"]}
    assert facet == {"interviewing": 1, "rejected": 1}
    bad = await agency.client.get("/api/v1/search/candidates", params={"stage": "hired"})
    assert bad.status_code == 400
    assert "stage" in bad.json()["detail"]

    # A merge hands the duplicate's submissions, and their stages, to the survivor.
    twin = await post_json(agency, "/api/v1/candidates", candidate_body(headline="Rust developer"))
    theirs = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": twin["id"], "requisition_id": third["id"]},
    )
    await move(agency, theirs["id"], "offered")
    await _counts_become(agency, twin["id"], {"offered": 1})
    await post_json(
        agency, f"/api/v1/candidates/{ada['id']}/merge", {"duplicate_id": twin["id"]}, 200
    )
    await _counts_become(agency, ada["id"], {"interviewing": 1, "rejected": 1, "offered": 1})

    # The duplicate leaves the index on its own event, which may come after the survivor's.
    async def twin_gone() -> bool:
        return await _hit(agency, twin["id"]) is None

    await eventually(twin_gone, what="the merged duplicate gone from search")

    # Another agency sees none of it.
    assert await _hit(other_agency, ada["id"]) is None
