"""Full-text candidate search over OpenSearch, always within the caller's agency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.deps import CurrentPrincipal, StoresDep
from gateway.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/search", tags=["search"])


class CandidateHit(BaseModel):
    id: str
    score: float | None
    first_name: str
    last_name: str
    headline: str | None = None
    skills: list[str] = []
    status: str | None = None
    highlights: dict[str, list[str]] = {}


class CandidateHits(BaseModel):
    items: list[CandidateHit]
    next_cursor: str | None


@router.get(
    "/candidates",
    response_model=CandidateHits,
    summary="Search candidates",
    description=(
        "Full text over name, headline and skills (all words must match). Results are "
        "ranked by relevance; pass `next_cursor` back as `cursor` for the next page. "
        "New and changed candidates become searchable within a fraction of a second."
    ),
)
async def search_candidates(
    principal: CurrentPrincipal,
    stores: StoresDep,
    q: Annotated[str, Query(max_length=1000, description="Words to find")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> CandidateHits:
    after = decode_cursor(cursor) if cursor else None
    result = await stores.search.search_candidates(
        principal.tenant_id, q, size=limit, search_after=after
    )
    hits: list[dict[str, Any]] = result["hits"]["hits"]
    items = [
        CandidateHit(
            id=h["_source"]["id"],
            score=h.get("_score"),
            first_name=h["_source"]["first_name"],
            last_name=h["_source"]["last_name"],
            headline=h["_source"].get("headline"),
            skills=h["_source"].get("skills") or [],
            status=h["_source"].get("status"),
            highlights=h.get("highlight") or {},
        )
        for h in hits
    ]
    next_cursor = encode_cursor(hits[-1]["sort"]) if len(hits) == limit else None
    return CandidateHits(items=items, next_cursor=next_cursor)
