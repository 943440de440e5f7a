"""Reads of the candidate index: the recruiter's search, and the pool matching scores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.geo import Point
from domain.query_syntax import Node
from stores.search.nearby import radius_filter
from stores.search.query_dsl import (
    CANDIDATE_SKILL_PLACES,
    CandidateFilters,
    candidate_search_query,
    facet_aggregations,
)
from stores.search.sorting import TOTAL_HITS_CAP, SortName, order_by

# What a search's page shows of each hit (gateway/routes/search.py::CandidateHit, and the
# point its distance is measured to). The rest of a document (the resume's text, the
# work history, the submissions) is read, decompressed and sent for nothing: at 20 hits
# a page it is most of the answer's bytes.
PAGE_SOURCE = [
    "id",
    "first_name",
    "last_name",
    "headline",
    "skills",
    "status",
    "city",
    "country",
    "remote",
    "available_from",
    "tags",
    "updated_at",
    "stage_counts",
    "active_submissions",
    "location.point",
]

# The fields a hit's `highlights` show. A bare word is searched in `all_text` (the words
# of them all, query_dsl.CANDIDATE_FIELDS), not in each of these: the words a query
# looks for are marked in every field shown, whichever field found them.
HIGHLIGHT: dict[str, Any] = {
    "fields": {"headline": {}, "skills": {}, "full_name": {}, "resume_text": {}},
    "require_field_match": False,
}


def candidate_search_body(
    tenant_id: UUID,
    tree: Node | None,
    *,
    size: int,
    search_after: list[Any] | None,
    filters: CandidateFilters | None = None,
    recent_first: bool = False,
    sort: SortName | None = None,
    near: Point | None = None,
    radius_km: float | None = None,
) -> dict[str, Any]:
    """The OpenSearch request of a candidate search.

    Plain words (`python kubernetes terraform`) find anyone with one of them, ranked by
    how many of them they have, then by BM25 (query_dsl.coverage_query); AND, OR, NOT,
    parentheses, phrases and field:value keep their boolean meaning. Filters narrow
    without ranking (`near` with `radius_km` among them); the tenant filter is always
    there. `sort`: relevance, recent (or `recent_first`), or distance from `near`.
    A first page's facets are counted by a request of their own beside this one
    (`candidate_facets_body`).
    """
    radius = [radius_filter(near, radius_km)] if near is not None and radius_km else []
    body: dict[str, Any] = {
        "size": size,
        "query": candidate_search_query(
            str(tenant_id), tree, filters, by_coverage=True, extra_filters=radius
        ),
        "sort": order_by(sort or ("recent" if recent_first else "relevance"), near),
        "highlight": HIGHLIGHT,
        "_source": {"includes": PAGE_SOURCE},
        "track_total_hits": TOTAL_HITS_CAP,
    }
    if search_after:
        body["search_after"] = search_after
    return body


def candidate_facets_body(search_body: dict[str, Any]) -> dict[str, Any]:
    """The facet counts of a search (`candidate_search_body`), as a request of their own.

    Measured at a million candidates in one agency (bench --search-at), the facets cost
    about as much as ranking the page: asked for apart, the two run side by side on the
    node's cores instead of one after the other. Counting needs no scores, so the query
    is in filter context, and a request of no hits is one the node's request cache keeps
    (until the index next changes): the same first page asked again, or paged back to,
    counts nothing again.
    """
    return {
        "size": 0,
        "query": {"bool": {"filter": [search_body["query"]]}},
        "aggs": facet_aggregations(),
        "track_total_hits": False,
    }


SKILL_FIELDS: dict[str, float] = CANDIDATE_SKILL_PLACES
"""Where a skill may be written, and how much finding it there counts towards the pool
(as in a keyword search's ranking)."""


def skill_pool_body(
    tenant_id: UUID,
    skill_keys: list[str],
    *,
    size: int,
    required: list[str] | None = None,
    near: Point | None = None,
    within_km: float | None = None,
) -> dict[str, Any]:
    """Candidates who may fit: those with any of the skills, wherever written, best first.

    Matching scores them in full; this only finds them, so that the pool holds the
    people matching would rank first: each required skill counts more than a nice-to-have
    one, a listed skill more than one in text, and living within `within_km` of the role
    (`near`, an onsite or hybrid role's place) counts as much as a listed skill.
    Candidates marked do_not_use are left out; with no skills to go by, the most
    recently updated come back.
    """
    query: dict[str, Any] = {
        "bool": {
            "filter": [
                {"term": {"tenant_id": str(tenant_id)}},
                {"exists": {"field": "version"}},
            ],
            "must_not": [{"term": {"status": "do_not_use"}}],
        }
    }
    needed = set(required or [])
    if skill_keys:
        found = [
            {
                "constant_score": {
                    "filter": {"term": {field: k}},
                    "boost": boost * (2 if k in needed else 1),
                }
            }
            for k in skill_keys
            for field, boost in SKILL_FIELDS.items()
        ]
        query["bool"]["must"] = [{"bool": {"should": found, "minimum_should_match": 1}}]
        if near is not None and within_km:
            local = radius_filter(near, within_km)
            query["bool"]["should"] = [{"constant_score": {"filter": local, "boost": 3.0}}]
    return {
        "size": size,
        "query": query,
        "sort": [{"_score": "desc"}, {"updated_at": "desc"}],
        "_source": {"excludes": ["resume_text"]},
        "track_total_hits": False,
    }
