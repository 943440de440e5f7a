"""The requisition search index: mapping, documents from event data, writes and queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch

from domain.geo import Point
from domain.query_syntax import Node
from domain.skills import skill_key
from stores.search.aliases import ensure_alias
from stores.search.nearby import LOCATION_MAPPING, location_field, radius_filter
from stores.search.query_dsl import REQUISITION_FIELDS, is_negative_only, ranked_query
from stores.search.sizing import IndexSizing
from stores.search.sorting import TOTAL_HITS_CAP, SortName, order_by

# 2: `location.point` (see candidate_index.CANDIDATE_INDEX_VERSION): added to the live
# index at start, filled in for older documents by `refactortrack reindex`.
REQUISITION_INDEX_VERSION = 2
REQUISITION_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "tenant_id": {"type": "keyword"},
        "client_id": {"type": "keyword"},
        "owner_id": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "english"},
        "description": {"type": "text", "analyzer": "english"},
        "skills": {"type": "text", "analyzer": "english"},
        "required_skills": {"type": "keyword"},
        "nice_to_have_skills": {"type": "keyword"},
        "skill_keys": {"type": "keyword"},
        "city": {"type": "keyword"},
        "country": {"type": "keyword"},
        "remote": {"type": "keyword"},
        "location": LOCATION_MAPPING,
        "employment_type": {"type": "keyword"},
        "status": {"type": "keyword"},
        "priority": {"type": "keyword"},
        "openings": {"type": "integer"},
        "bill_rate_max": {"type": "scaled_float", "scaling_factor": 100},
        "salary_max": {"type": "scaled_float", "scaling_factor": 100},
        "currency": {"type": "keyword"},
        "opened_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "version": {"type": "integer"},
    },
}
FACETS = {
    "skills": "skill_keys",
    "status": "status",
    "priority": "priority",
    "employment_type": "employment_type",
    "city": "city",
}


@dataclass(frozen=True)
class RequisitionFilters:
    """What a requisition search narrows by; each one given must hold (empty: any)."""

    statuses: Sequence[str] = ()
    priorities: Sequence[str] = ()
    employment_types: Sequence[str] = ()
    skills_all: Sequence[str] = ()
    client_id: UUID | None = None
    city: str | None = None
    remote: str | None = None

    def clauses(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for field, values in (
            ("status", self.statuses),
            ("priority", self.priorities),
            ("employment_type", self.employment_types),
        ):
            if values:
                found.append({"terms": {field: list(values)}})
        found.extend({"term": {"skill_keys": skill_key(s)}} for s in self.skills_all)
        if self.client_id:
            found.append({"term": {"client_id": str(self.client_id)}})
        if self.city:
            found.append({"term": {"city": {"value": self.city, "case_insensitive": True}}})
        if self.remote:
            found.append({"term": {"remote": self.remote}})
        return found


def requisition_document(data: dict[str, Any]) -> dict[str, Any]:
    """The index document of a requisition, from the JSON `data` of its latest event."""
    location = data.get("location") or {}
    bill, salary = data.get("bill_rate") or {}, data.get("salary") or {}
    required = list(data.get("required_skills") or [])
    nice = list(data.get("nice_to_have_skills") or [])
    return {
        "id": data["id"],
        "tenant_id": data["tenant_id"],
        "client_id": data.get("client_id"),
        "owner_id": data.get("owner_id"),
        "title": data["title"],
        "description": data.get("description"),
        "skills": [*required, *nice],
        "required_skills": required,
        "nice_to_have_skills": nice,
        "skill_keys": sorted({skill_key(s) for s in [*required, *nice]}),
        "city": location.get("city"),
        "country": location.get("country"),
        "remote": location.get("remote"),
        "location": location_field(
            location.get("city"), location.get("country"), location.get("region")
        ),
        "employment_type": data.get("employment_type"),
        "status": data.get("status"),
        "priority": data.get("priority"),
        "openings": data.get("openings"),
        "bill_rate_max": float(bill["max"]) if bill.get("max") is not None else None,
        "salary_max": float(salary["max"]) if salary.get("max") is not None else None,
        "currency": bill.get("currency") or salary.get("currency"),
        "opened_at": data.get("opened_at"),
        "updated_at": data["updated_at"],
        "version": data["version"],
    }


async def ensure_index(
    client: AsyncOpenSearch, alias: str, refresh_interval: str, sizing: IndexSizing
) -> None:
    settings = {**sizing.settings(), "refresh_interval": refresh_interval}
    await ensure_alias(
        client,
        alias,
        f"{alias}-v{REQUISITION_INDEX_VERSION}",
        {"settings": settings, "mappings": REQUISITION_MAPPINGS},
    )


async def search(
    client: AsyncOpenSearch,
    alias: str,
    tenant_id: UUID,
    tree: Node | None,
    *,
    filters: RequisitionFilters,
    size: int,
    search_after: list[Any] | None,
    recent_first: bool,
    facets: bool,
    sort: SortName | None = None,
    near: Point | None = None,
    radius_km: float | None = None,
) -> dict[str, Any]:
    """Requisitions matching `tree` and `filters`: plain words ranked by how many of them
    a requisition has (query_dsl.coverage_query), `near` within `radius_km`, counted up
    to TOTAL_HITS_CAP."""
    must: list[dict[str, Any]] = []
    if tree is None or is_negative_only(tree):
        must.append({"match_all": {}})
    if tree is not None:
        must.append(ranked_query(tree, REQUISITION_FIELDS))
    radius = [radius_filter(near, radius_km)] if near is not None and radius_km else []
    body: dict[str, Any] = {
        "size": size,
        "query": {
            "bool": {
                "must": must,
                "filter": [{"term": {"tenant_id": str(tenant_id)}}, *filters.clauses(), *radius],
            }
        },
        "sort": order_by(sort or ("recent" if recent_first else "relevance"), near),
        "highlight": {"fields": {"title": {}, "description": {}, "skills": {}}},
        "track_total_hits": TOTAL_HITS_CAP,
    }
    if facets and not search_after:
        body["aggs"] = {k: {"terms": {"field": f, "size": 20}} for k, f in FACETS.items()}
    if search_after:
        body["search_after"] = search_after
    result: dict[str, Any] = await client.search(index=alias, body=body)
    return result
