"""How search hits are ordered, what each hit's `sort` values are, and how far they
are counted.

A page's cursor is the last hit's `sort` values, handed to the client and back as
`search_after`; the gateway checks a returned cursor against `cursor_shape` so a
forged one is refused before it reaches the index.
"""

from __future__ import annotations

from typing import Any, Literal

from domain.geo import Point
from stores.search.nearby import POINT_FIELD

# score: the relevance (a number); millis: a date as epoch milliseconds (a long);
# id: the document's UUID (a keyword). A distance is a number too ("score").
SortValue = Literal["score", "millis", "id"]
SortName = Literal["relevance", "recent", "distance"]

# Matches are counted exactly up to this many, then said to be at least as many
# (`total_relation: gte`): counting every match of a broad query over a large agency
# would cost more than the page itself.
TOTAL_HITS_CAP = 10_000

RELEVANCE: list[dict[str, Any]] = [{"_score": "desc"}, {"updated_at": "desc"}, {"id": "asc"}]
RECENT: list[dict[str, Any]] = [{"updated_at": "desc"}, {"id": "asc"}]


def order(recent_first: bool) -> list[dict[str, Any]]:
    return RECENT if recent_first else RELEVANCE


def cursor_shape(recent_first: bool) -> tuple[SortValue, ...]:
    return ("millis", "id") if recent_first else ("score", "millis", "id")


def order_by(sort: SortName, near: Point | None = None) -> list[dict[str, Any]]:
    """The order of `sort`; `distance` (nearest `near` first, in km) needs `near`."""
    if sort != "distance":
        return order(sort == "recent")
    if near is None:
        raise ValueError("a distance sort needs a point to measure from")
    return [
        {
            "_geo_distance": {
                POINT_FIELD: {"lat": near.lat, "lon": near.lon},
                "order": "asc",
                "unit": "km",
                "distance_type": "arc",
                # Documents without a point sort last rather than fail the search (they
                # are filtered out by the radius anyway).
                "ignore_unmapped": True,
            }
        },
        {"id": "asc"},
    ]


def shape_of(sort: SortName) -> tuple[SortValue, ...]:
    if sort == "distance":
        return ("score", "id")
    return cursor_shape(sort == "recent")
