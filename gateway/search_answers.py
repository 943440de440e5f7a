"""What the two searches share beyond the query: `near` and `radius_km`, `sort`, the
`total`, and each hit's `distance_km` and `reasons`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from core.errors import InvalidCommand
from domain.geo import Point, distance_km, looks_like_coordinates, parse_near
from domain.query_syntax import Term
from stores.search.nearby import point_of
from stores.search.query_dsl import term_label
from stores.search.sorting import TOTAL_HITS_CAP, SortName

DEFAULT_RADIUS_KM = 50.0
# Half the Earth's circumference is about 20,015 km: a radius of 20,000 is the world.
MAX_RADIUS_KM = 20_000.0

NearQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Only results within `radius_km` of this place: a city (any spelling "
        "GeoNames knows, `München` or `Munich`; `Munich, DE` or `Paris, Texas` to say "
        "which) or coordinates `lat,lon` in decimal degrees. Results then carry "
        "`distance_km`. A city the gazetteer does not know answers 422: give `lat,lon`. "
        "Candidates with no city (remote only) have no place and are left out.",
        openapi_examples={
            "city": {"summary": "A city", "value": "Munich"},
            "coordinates": {"summary": "Latitude, longitude", "value": "48.14,11.58"},
        },
    ),
]
RadiusQuery = Annotated[
    float,
    Query(
        gt=0,
        le=MAX_RADIUS_KM,
        allow_inf_nan=False,
        description=f"Kilometres from `near` (ignored without it); at most {MAX_RADIUS_KM:.0f}",
        examples=[25],
    ),
]
SortQuery = Annotated[
    Literal["relevance", "recent", "distance"],
    Query(
        description="`relevance` (plain words: the most of them covered first, then text "
        "relevance), `recent` (last updated first), or `distance` (nearest `near` first; "
        "needs `near`)",
    ),
]


class SearchReasons(BaseModel):
    """Why a hit is where it is in the list."""

    matched_terms: list[str] | None = Field(
        default=None,
        description="Of a plain query's terms, the ones this hit has (synonyms count)",
        examples=[["python", "kubernetes"]],
    )
    coverage: float | None = Field(
        default=None,
        description="The share of a plain query's terms this hit has, 0 to 1; hits are "
        "ranked by it first",
        examples=[0.67],
    )
    distance_km: float | None = Field(
        default=None, description="Kilometres from `near`, to one decimal", examples=[4.2]
    )


class Totals(BaseModel):
    total: int = Field(
        description=f"How many results match in all pages: exact up to {TOTAL_HITS_CAP:,}; "
        "past that, at least this many (`total_relation: gte`)",
        examples=[42],
    )
    total_relation: Literal["eq", "gte"] = Field(
        description="`eq`: `total` is exact; `gte`: there are at least `total`",
        examples=["eq"],
    )


async def resolve_near(near: str | None, sort: SortName) -> Point | None:
    """The point `near` names (None without it), or 422 saying what to send instead."""
    if near is None or not near.strip():
        if sort == "distance":
            raise InvalidCommand(
                "sort=distance needs near (a city or lat,lon) to measure from",
                errors={"sort": "distance needs near"},
            )
        return None
    # The first look-up loads the gazetteer (a second or two): off the event loop.
    point = await asyncio.to_thread(parse_near, near)
    if point is not None:
        return point
    if looks_like_coordinates(near):
        message = f"'{near}' is out of range (latitude -90 to 90, longitude -180 to 180)"
    else:
        message = (
            f"the city '{near}' was not found; check the spelling, add the country "
            "('Munich, DE'), or give coordinates as lat,lon (e.g. 48.14,11.58)"
        )
    raise InvalidCommand(f"near: {message}", errors={"near": message})


def totals(result: dict[str, Any]) -> Totals:
    counted = result["hits"].get("total") or {"value": 0, "relation": "eq"}
    return Totals(total=counted["value"], total_relation=counted["relation"])


def hit_extras(hit: dict[str, Any], terms: list[Term] | None, near: Point | None) -> dict[str, Any]:
    """A hit's `distance_km` and `reasons`, for what the search asked: `terms` are the
    plain query's (query_dsl.coverage_terms), None for any other query."""
    reasons: dict[str, Any] = {}
    if terms:
        # The index names them in its own order: given back in the query's.
        found = set(hit.get("matched_queries") or ())
        matched = [label for label in map(term_label, terms) if label in found]
        reasons["matched_terms"] = matched
        reasons["coverage"] = round(len(matched) / len(terms), 2)
    extras: dict[str, Any] = {}
    if near is not None:
        place = point_of(hit["_source"])
        if place is not None:
            extras["distance_km"] = reasons["distance_km"] = round(distance_km(near, place), 1)
    if reasons:
        extras["reasons"] = SearchReasons(**reasons)
    return extras
