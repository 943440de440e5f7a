"""Full-text candidate search over OpenSearch, always within the caller's agency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from core.errors import BadQuery
from core.query_syntax import QuerySyntaxError, parse_query
from gateway.deps import CurrentPrincipal, StoresDep
from gateway.pagination import decode_cursor, encode_cursor
from stores.search_query import FIELDS

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
        "Full text over name, headline, skills and resume text. `q` takes a recruiter's "
        "boolean syntax: words next to each other must all match; `AND`, `OR`, `NOT` (in "
        "capitals) and `-word`; parentheses; quoted phrases; `field:value` with the "
        f'fields {", ".join(sorted(FIELDS))} (`skill:python`, `title:"staff engineer"`, '
        "`city:berlin`). A malformed query answers 400 with the `position` where it "
        "breaks. Results are ranked by relevance; pass `next_cursor` back as `cursor` for "
        "the next page. New and changed candidates become searchable within a fraction "
        "of a second."
    ),
    responses={400: {"description": "A malformed query; `position` is where it breaks"}},
)
async def search_candidates(
    principal: CurrentPrincipal,
    stores: StoresDep,
    q: Annotated[
        str,
        Query(
            max_length=1000,
            description="e.g. `senior python AND (kafka OR pulsar) NOT php city:berlin`",
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> CandidateHits:
    try:
        tree = parse_query(q, FIELDS)
    except QuerySyntaxError as exc:
        raise BadQuery(
            f"q: {exc}; check quotes, parentheses and that AND, OR and NOT join two terms",
            position=exc.position + 1,
        ) from None
    after = decode_cursor(cursor) if cursor else None
    result = await stores.search.search_candidates(
        principal.tenant_id, tree, size=limit, search_after=after
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
