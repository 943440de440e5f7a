"""Full-text search of candidates and requisitions, always within the caller's agency."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from core.errors import BadQuery
from domain.pipeline import PIPELINE_STAGES
from domain.query_syntax import (
    MAX_DEPTH,
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUES,
    MAX_LENGTH,
    MAX_TERMS,
)
from domain.types import CountryCode, CurrencyCode, Money
from gateway.audit_trail import record_list
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from gateway.pagination import CursorQuery, LimitQuery, decode_search_cursor, encode_cursor
from gateway.query_text import parsed_query
from gateway.responses import CompactJSON
from gateway.search_answers import (
    DEFAULT_RADIUS_KM,
    NearQuery,
    RadiusQuery,
    SearchReasons,
    SortQuery,
    Totals,
    hit_extras,
    resolve_near,
    totals,
)
from stores.search.query_dsl import (
    FIELDS,
    REQUISITION_FIELDS,
    CandidateFilters,
    coverage_terms,
    facet_counts,
)
from stores.search.requisitions import RequisitionFilters
from stores.search.sorting import shape_of
from topics.requisitions import EmploymentType, Priority

STATUSES = frozenset({"active", "placed", "do_not_use"})
PRIORITIES: tuple[str, ...] = get_args(Priority)
EMPLOYMENT_TYPES: tuple[str, ...] = get_args(EmploymentType)

# `q`'s length is checked with its syntax (a long one is a 400 with the position, like
# the rest), so its bound is told to the document here rather than enforced by FastAPI.
QueryText = Annotated[
    str,
    Query(
        description=f"At most {MAX_LENGTH} characters, {MAX_TERMS} terms and {MAX_DEPTH} "
        "operators inside one another, e.g. `senior python AND (kafka OR pulsar) NOT php`",
        json_schema_extra={"maxLength": MAX_LENGTH},
    ),
]
LIST_RULE = (
    f"Repeat the parameter or separate values with commas; at most {MAX_FILTER_VALUES} "
    "values in all"
)


def words(description: str) -> Any:
    """A list filter of free words (skills, tags): bounded as `_values` bounds it."""
    return Query(
        description=f"{description}. {LIST_RULE}, each at most {MAX_FILTER_VALUE_LENGTH} "
        "characters.",
        json_schema_extra={
            "maxItems": MAX_FILTER_VALUES,
            "items": {"type": "string", "maxLength": MAX_FILTER_VALUE_LENGTH},
        },
    )


def one_of(names: Sequence[str], description: str) -> Any:
    """A list filter of known names (statuses, stages): each item one name, or several
    separated by commas (blanks around them ignored)."""
    name = f"(?:{'|'.join(re.escape(n) for n in names)})"
    item = rf"^\s*{name}?\s*(?:,\s*{name}?\s*)*$"
    return Query(
        description=f"{description}: {', '.join(names)}. {LIST_RULE}.",
        json_schema_extra={
            "maxItems": MAX_FILTER_VALUES,
            "items": {"type": "string", "pattern": item},
        },
    )


router = APIRouter(prefix="/search", tags=["search"])


class CandidateHit(BaseModel):
    id: str
    score: float | None
    first_name: str
    last_name: str
    headline: str | None = None
    skills: list[str] = []
    status: str | None = None
    city: str | None = None
    country: str | None = None
    remote: bool | None = None
    available_from: date | None = None
    tags: list[str] = []
    updated_at: datetime | None = None
    stage_counts: dict[str, int] = Field(
        default={}, description="Submissions of this candidate now in each pipeline stage"
    )
    active_submissions: int = Field(
        default=0, description="Submissions not yet placed, rejected or withdrawn"
    )
    distance_km: float | None = Field(
        default=None, description="Kilometres from `near` (only with `near`)", examples=[4.2]
    )
    highlights: dict[str, list[str]] = {}
    reasons: SearchReasons | None = None


class FacetCount(BaseModel):
    value: str
    count: int


class CandidateHits(Totals):
    items: list[CandidateHit]
    facets: dict[str, list[FacetCount]] | None = Field(
        default=None, description="Counts over all matches (first page only): skills, city, …"
    )
    next_cursor: str | None


def _values(name: str, raw: list[str] | None) -> list[str]:
    """Repeated parameters and comma-separated lists alike: `skills=go,rust&skills=sql`.

    Each value becomes a clause of the search request, so a list is bounded (400 past it).
    """
    values = [v.strip() for item in raw or [] for v in item.split(",") if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise BadQuery(
            f"{name}: {len(values)} values; a search takes at most {MAX_FILTER_VALUES}",
            field=name,
        )
    long = next((v for v in values if len(v) > MAX_FILTER_VALUE_LENGTH), None)
    if long is not None:
        raise BadQuery(
            f"{name}: '{long[:20]}…' is longer than {MAX_FILTER_VALUE_LENGTH} characters",
            field=name,
        )
    return values


def _known(name: str, raw: list[str] | None, names: Sequence[str]) -> list[str]:
    """`_values`, each of them one of `names` (400 naming the unknown ones)."""
    values = _values(name, raw)
    unknown = [v for v in values if v not in names]
    if unknown:
        raise BadQuery(
            f"{name}: unknown {', '.join(unknown)}; use one of {', '.join(names)}", field=name
        )
    return values


@router.get(
    "/candidates",
    response_model=CandidateHits,
    summary="Search candidates",
    description=(
        "Full text over name, headline, skills, work history and resume text. Plain words "
        "(`python kubernetes terraform`, quoted phrases too) find everyone with at least one "
        "of them, ranked by the share of them they have (every skill named before one "
        "mentioned many times), then by text relevance; hits say which in "
        "`reasons.matched_terms` and `reasons.coverage`. A skill's other spellings count "
        "(`k8s` is Kubernetes, `golang` is Go). `java*` matches words that start with "
        "`java` (Java, JavaScript; at least 2 characters before the `*`, else 422). Beyond "
        "plain words `q` takes a recruiter's boolean syntax, where every part must hold: "
        "`AND`, `OR`, `NOT` (in "
        "capitals) and `-word`; parentheses; quoted phrases; `field:value` with the "
        f'fields {", ".join(sorted(FIELDS))} (`skill:python`, `title:"staff engineer"`, '
        "`city:berlin`). A malformed query answers 400 with the `position` where it "
        f"breaks; a query is bounded: at most {MAX_DEPTH} operators (NOT, -, AND, OR, "
        f"parentheses) inside one another and {MAX_TERMS} terms. Filters narrow without "
        "ranking: skills (all, or `skills_any`; `k8s` finds Kubernetes), city, country, "
        "remote, `near` a city or `lat,lon` within `radius_km` (hits then carry "
        "`distance_km`; `sort=distance` puts the nearest first; a candidate with no city "
        "is never within a radius), `available_before`, desired rate or salary "
        "range and currency, status, tags, owner, `updated_since`. The first page counts `facets` "
        "(skills, city, country, status, tags) over every match; hits carry `highlights`; "
        "`total` counts every match (exactly up to 10,000, see `total_relation`). "
        "Ranked by relevance or, with `sort=recent`, last updated first; pass "
        "`next_cursor` back as `cursor` for the next page. New and changed candidates "
        "become searchable within a fraction of a second. Each list filter takes at most "
        f"{MAX_FILTER_VALUES} values; a cursor from another search or sort is refused with 400. "
        "The ids answered are recorded in the audit log (`list`, view `search`), the query "
        "never."
    ),
    responses=problems(
        {
            400: "A malformed or too large query (`position` is where it breaks), a list "
            "filter past its limit, a minimum above its maximum, or a cursor this search "
            "did not issue",
            422: "`near` names no city the gazetteer knows (give `lat,lon`) or coordinates "
            "out of range, `sort=distance` without `near`, or a prefix (`j*`) too short",
        }
    ),
)
async def search_candidates(
    principal: Annotated[Principal, allow("search:read")],
    stores: StoresDep,
    q: QueryText = "",
    skills: Annotated[
        list[str] | None, words("Has every one of these skills (synonyms count)")
    ] = None,
    skills_any: Annotated[list[str] | None, words("Has at least one of these skills")] = None,
    city: Annotated[str | None, Query(max_length=200)] = None,
    country: Annotated[CountryCode | None, Query()] = None,
    remote: Annotated[bool | None, Query(description="Open to remote work")] = None,
    available_before: Annotated[
        date | None, Query(description="Available on or before this date (or now)")
    ] = None,
    rate_min: Annotated[Money | None, Query(description="Desired rate at least")] = None,
    rate_max: Annotated[Money | None, Query(description="Desired rate at most")] = None,
    salary_min: Annotated[Money | None, Query(description="Desired yearly salary at least")] = None,
    salary_max: Annotated[Money | None, Query(description="Desired yearly salary at most")] = None,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    status: Annotated[list[str] | None, one_of(sorted(STATUSES), "Any of these statuses")] = None,
    tags: Annotated[list[str] | None, words("Has every one of these tags")] = None,
    owner_id: UUID | None = None,
    updated_since: datetime | None = None,
    stage: Annotated[
        list[str] | None,
        one_of(PIPELINE_STAGES, "Has a submission now in one of these pipeline stages"),
    ] = None,
    in_pipeline: Annotated[
        bool | None,
        Query(description="true: in an active submission; false: in none (free to submit)"),
    ] = None,
    near: NearQuery = None,
    radius_km: RadiusQuery = DEFAULT_RADIUS_KM,
    sort: SortQuery = "relevance",
    facets: Annotated[bool, Query(description="Count skills, cities, … on the first page")] = True,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    tree = parsed_query(q, FIELDS)
    terms = coverage_terms(tree)
    point = await resolve_near(near, sort)
    statuses = _known("status", status, sorted(STATUSES))
    stages = _known("stage", stage, PIPELINE_STAGES)
    if rate_min is not None and rate_max is not None and rate_min > rate_max:
        raise BadQuery("rate_min is above rate_max")
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        raise BadQuery("salary_min is above salary_max")
    narrowing = CandidateFilters(
        skills_all=_values("skills", skills),
        skills_any=_values("skills_any", skills_any),
        city=city,
        country=country,
        remote=remote,
        available_before=available_before,
        rate_min=rate_min,
        rate_max=rate_max,
        salary_min=salary_min,
        salary_max=salary_max,
        currency=currency,
        statuses=statuses,
        tags=_values("tags", tags),
        owner_id=str(owner_id) if owner_id else None,
        updated_since=updated_since,
        stages=stages,
        in_pipeline=in_pipeline,
    )
    after = decode_search_cursor(cursor, shape_of(sort))

    # The audit entry is started as soon as the hits are known, and written while the
    # facets are counted and the page is shaped; the answer waits for it (503 if it
    # cannot be written: never an answer without its entry).
    recording: list[asyncio.Task[None]] = []

    async def record(found: dict[str, Any]) -> None:
        # The ids found, never the query: a search for a name would put the name in the log.
        ids = [UUID(h["_source"]["id"]) for h in found["hits"]["hits"]]
        task = asyncio.ensure_future(
            record_list(stores, principal, "candidate", ids, view="search")
        )
        # Read even when the answer fails first, so a failure is not "never retrieved".
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        recording.append(task)

    try:
        result = await stores.search.search_candidates(
            principal.tenant_id,
            tree,
            size=limit,
            search_after=after,
            filters=narrowing,
            facets=facets,
            sort=sort,
            near=point,
            radius_km=radius_km,
            with_hits=record,
        )
        hits: list[dict[str, Any]] = result["hits"]["hits"]
        items = [
            CandidateHit.model_validate(
                {
                    **h["_source"],
                    "score": h.get("_score"),
                    "highlights": h.get("highlight") or {},
                    **hit_extras(h, terms, point),
                }
            )
            for h in hits
        ]
        next_cursor = encode_cursor(hits[-1]["sort"]) if len(hits) == limit else None
        counted = facet_counts(result["aggregations"]) if "aggregations" in result else None
        answer = CandidateHits(
            items=items,
            facets={k: [FacetCount(**c) for c in v] for k, v in counted.items()}
            if counted
            else None,
            next_cursor=next_cursor,
            **totals(result).model_dump(),
        )
        for task in recording:
            await task
    finally:
        for task in recording:
            task.cancel()  # the answer failed: the entry goes on in its group (shielded)
    # The same bytes FastAPI would write for the response model, without its second
    # validation of the answer it is given: 0.09 ms against 0.24 for a page of 20 hits
    # with facets.
    return CompactJSON(answer.model_dump(mode="json", by_alias=True))


class RequisitionHit(BaseModel):
    id: str
    score: float | None
    title: str
    client_id: str | None = None
    status: str | None = None
    priority: str | None = None
    employment_type: str | None = None
    required_skills: list[str] = []
    nice_to_have_skills: list[str] = []
    city: str | None = None
    country: str | None = None
    remote: str | None = None
    updated_at: datetime | None = None
    distance_km: float | None = Field(
        default=None, description="Kilometres from `near` (only with `near`)", examples=[4.2]
    )
    highlights: dict[str, list[str]] = {}
    reasons: SearchReasons | None = None


class RequisitionHits(Totals):
    items: list[RequisitionHit]
    facets: dict[str, list[FacetCount]] | None = None
    next_cursor: str | None


REQUISITION_STATUSES = frozenset({"open", "on_hold", "filled", "closed", "cancelled"})


@router.get(
    "/requisitions",
    response_model=RequisitionHits,
    summary="Search requisitions",
    description=(
        "Full text over title, skills and description, in the same boolean syntax as "
        "candidate search, with `field:value` for "
        f"{', '.join(sorted(REQUISITION_FIELDS.names))}; plain words are ranked by how "
        "many of them a requisition has, `java*` is a prefix. Filters: status, priority, "
        "employment type, client, skills (all), city, remote, and `near` a city or "
        "`lat,lon` within `radius_km` (hits then carry `distance_km`; `sort=distance` puts "
        "the nearest first; a requisition with no known city is never within a radius). "
        "Facets (first page): skills, status, priority, employment type, city. `total` "
        "counts every match (exactly up to 10,000, see `total_relation`)."
    ),
    responses=problems(
        {
            400: "A malformed or too large query (`position` is where it breaks), a list "
            "filter past its limit, or a cursor this search did not issue",
            422: "`near` names no city the gazetteer knows (give `lat,lon`) or coordinates "
            "out of range, `sort=distance` without `near`, or a prefix (`j*`) too short",
        }
    ),
)
async def search_requisitions(
    principal: Annotated[Principal, allow("search:read")],
    stores: StoresDep,
    q: QueryText = "",
    status: Annotated[
        list[str] | None, one_of(sorted(REQUISITION_STATUSES), "Any of these statuses")
    ] = None,
    priority: Annotated[list[str] | None, one_of(PRIORITIES, "Any of these priorities")] = None,
    employment_type: Annotated[
        list[str] | None, one_of(EMPLOYMENT_TYPES, "Any of these kinds of employment")
    ] = None,
    client_id: UUID | None = None,
    skills: Annotated[list[str] | None, words("Asks for every one of these skills")] = None,
    city: Annotated[str | None, Query(max_length=200)] = None,
    remote: Annotated[
        Literal["onsite", "hybrid", "remote"] | None, Query(description="Work arrangement")
    ] = None,
    near: NearQuery = None,
    radius_km: RadiusQuery = DEFAULT_RADIUS_KM,
    sort: SortQuery = "relevance",
    facets: bool = True,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> RequisitionHits:
    tree = parsed_query(q, REQUISITION_FIELDS.names)
    terms = coverage_terms(tree)
    point = await resolve_near(near, sort)
    statuses = _known("status", status, sorted(REQUISITION_STATUSES))
    filters = RequisitionFilters(
        statuses=statuses,
        priorities=_known("priority", priority, PRIORITIES),
        employment_types=_known("employment_type", employment_type, EMPLOYMENT_TYPES),
        skills_all=_values("skills", skills),
        client_id=client_id,
        city=city,
        remote=remote,
    )
    result = await stores.search.search_requisitions(
        principal.tenant_id,
        tree,
        filters=filters,
        size=limit,
        search_after=decode_search_cursor(cursor, shape_of(sort)),
        facets=facets,
        sort=sort,
        near=point,
        radius_km=radius_km,
    )
    hits: list[dict[str, Any]] = result["hits"]["hits"]
    counted = facet_counts(result["aggregations"]) if "aggregations" in result else None
    return RequisitionHits(
        items=[
            RequisitionHit.model_validate(
                {
                    **h["_source"],
                    "score": h.get("_score"),
                    "highlights": h.get("highlight") or {},
                    **hit_extras(h, terms, point),
                }
            )
            for h in hits
        ],
        facets={k: [FacetCount(**c) for c in v] for k, v in counted.items()} if counted else None,
        next_cursor=encode_cursor(hits[-1]["sort"]) if len(hits) == limit else None,
        **totals(result).model_dump(),
    )
