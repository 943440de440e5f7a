"""Saved searches: a recruiter's query kept, and alerts when a candidate newly matches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from domain.types import NOT_BLANK, CountryCode, CurrencyCode, Money
from topics.records import Record

SAVED_SEARCH_CREATE = "saved_search.create"
SAVED_SEARCH_DELETE = "saved_search.delete"
SAVED_SEARCH_CREATED = "saved_search.created"
SAVED_SEARCH_DELETED = "saved_search.deleted"
SAVED_SEARCH_MATCHED = "saved_search.matched"

Value = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NOT_BLANK
]


class SavedSearchFilters(Record):
    """The filters of `GET /search/candidates` a saved search can keep."""

    skills: list[Value] = Field(default_factory=list, max_length=20)
    skills_any: list[Value] = Field(default_factory=list, max_length=20)
    city: Value | None = None
    country: CountryCode | None = None
    remote: bool | None = None
    available_before: date | None = None
    rate_min: Money | None = None
    rate_max: Money | None = None
    salary_min: Money | None = None
    salary_max: Money | None = None
    currency: CurrencyCode | None = None
    status: list[Literal["active", "placed", "do_not_use"]] = Field(default_factory=list)
    tags: list[Value] = Field(default_factory=list, max_length=20)


class SavedSearchFields(Record):
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
    ]
    q: Annotated[str, StringConstraints(max_length=1000)] = Field(
        default="", description="The boolean query, as for `GET /search/candidates`"
    )
    filters: SavedSearchFilters = Field(default_factory=SavedSearchFilters)
    alerts: bool = Field(default=True, description="Alert when a candidate newly matches")


class SavedSearchCreate(SavedSearchFields):
    saved_search_id: UUID


class SavedSearchDelete(Record):
    saved_search_id: UUID


class SavedSearchSnapshot(SavedSearchFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    owner: str = Field(description="Who saved it (`user:<id>` or `api_key:<id>`)")
    version: int
    created_at: datetime
    updated_at: datetime


class SavedSearchMatch(Record):
    """An alert: a new or changed candidate matches a saved search."""

    model_config = ConfigDict(extra="ignore")

    saved_search_id: UUID
    tenant_id: UUID
    candidate_id: UUID
    owner: str
    name: str
    matched_at: datetime
