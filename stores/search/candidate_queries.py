"""Reads of the candidate index: the recruiter's search, and the pool matching scores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.geo import Point
from domain.query_syntax import Node
from stores.search.nearby import radius_filter
from stores.search.query_dsl import CandidateFilters, candidate_search_query, facet_aggregations
from stores.search.sorting import TOTAL_HITS_CAP, SortName, order_by


def candidate_search_body(
    tenant_id: UUID,
    tree: Node | None,
    *,
    size: int,
    search_after: list[Any] | None,
    filters: CandidateFilters | None = None,
    recent_first: bool = False,
    facets: bool = False,
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
    """
    radius = [radius_filter(near, radius_km)] if near is not None and radius_km else []
    body: dict[str, Any] = {
        "size": size,
        "query": candidate_search_query(
            str(tenant_id), tree, filters, by_coverage=True, extra_filters=radius
        ),
        "sort": order_by(sort or ("recent" if recent_first else "relevance"), near),
        "highlight": {"fields": {"headline": {}, "skills": {}, "full_name": {}, "resume_text": {}}},
        "track_total_hits": TOTAL_HITS_CAP,
    }
    if facets and not search_after:
        body["aggs"] = facet_aggregations()
    if search_after:
        body["search_after"] = search_after
    return body


def skill_pool_body(tenant_id: UUID, skill_keys: list[str], *, size: int) -> dict[str, Any]:
    """Candidates who may fit: those with any of the skills, most skills first.

    Matching scores them in full; this only finds them. Candidates marked do_not_use
    are left out; with no skills to go by, the most recently updated come back.
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
    if skill_keys:
        query["bool"]["should"] = [{"term": {"skill_keys": k}} for k in skill_keys]
        query["bool"]["minimum_should_match"] = 1
    return {
        "size": size,
        "query": query,
        "sort": [{"_score": "desc"}, {"updated_at": "desc"}],
        "_source": {"excludes": ["resume_text"]},
        "track_total_hits": False,
    }
