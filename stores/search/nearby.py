"""Where candidates and requisitions are: the indexed point, and the radius filter.

Both indexes keep a `location.point` (a geo_point) that the indexer sets from the
record's city, region and country through the gazetteer (domain/geo.py). A record with
no city the gazetteer knows (say, a candidate who is only `remote`) has no point and
so never falls inside a radius.
"""

from __future__ import annotations

from typing import Any

from domain.geo import Point, locate

POINT_FIELD = "location.point"
LOCATION_MAPPING: dict[str, Any] = {"properties": {"point": {"type": "geo_point"}}}


def location_field(city: str | None, country: str | None, region: str | None) -> dict[str, Any]:
    """The document's `location` value: its point when the place is known, else empty."""
    point = locate(city, country, region)
    if point is None:
        return {}
    return {"point": {"lat": point.lat, "lon": point.lon}}


def point_of(source: dict[str, Any]) -> Point | None:
    """The point an indexed document holds, if any."""
    point = (source.get("location") or {}).get("point")
    if not point:
        return None
    return Point(float(point["lat"]), float(point["lon"]))


def radius_filter(near: Point, radius_km: float) -> dict[str, Any]:
    """Within `radius_km` of `near`: a filter, so it narrows without changing scores."""
    return {
        "geo_distance": {
            "distance": f"{radius_km}km",
            "distance_type": "arc",
            POINT_FIELD: {"lat": near.lat, "lon": near.lon},
        }
    }
