from __future__ import annotations

import pytest

from domain.geo import Point, distance_km, fold, locate, looks_like_coordinates, parse_near

MUNICH = Point(48.13743, 11.57549)


def test_names_fold_case_accents_and_separators() -> None:
    assert fold("München") == fold("MUNCHEN") == "munchen"
    assert fold("Saint-Étienne") == fold("saint  etienne") == "saint etienne"


def test_a_city_by_its_name_whatever_the_case_or_accents() -> None:
    assert locate("Munich") == MUNICH
    assert locate("münchen") == MUNICH
    assert locate("MUENCHEN") == MUNICH
    assert locate("Zurich") == locate("Zürich")
    assert locate("Köln") == locate("Cologne")


def test_unknown_or_empty_names_are_none() -> None:
    assert locate("Nowhereville Upon Nothing") is None
    assert locate("") is None
    assert locate(None) is None
    assert locate("   ") is None


def test_shared_names_prefer_the_country_then_the_most_populous() -> None:
    paris_france = locate("Paris")
    paris_texas = locate("Paris", "US")
    assert paris_france is not None
    assert paris_texas is not None
    assert paris_france.lon == pytest.approx(2.35, abs=0.1)
    assert paris_texas.lon == pytest.approx(-95.56, abs=0.1)
    london_ontario = locate("London", "CA")
    assert london_ontario is not None
    assert london_ontario.lon < -80
    # A country with no city of that name does not lose the city.
    assert locate("Munich", "FR") == MUNICH
    # Country names count as well as codes.
    assert locate("London", "Canada") == london_ontario


def test_a_us_state_picks_among_cities_of_one_name() -> None:
    illinois = locate("Springfield", "US", "IL")
    by_name = locate("Springfield", "US", "Illinois")
    assert illinois == by_name
    assert illinois is not None
    assert illinois.lat == pytest.approx(39.80, abs=0.1)


def test_near_takes_coordinates() -> None:
    assert parse_near("48.14,11.58") == Point(48.14, 11.58)
    assert parse_near(" -33.87 , 151.21 ") == Point(-33.87, 151.21)
    assert parse_near("91,0") is None
    assert parse_near("0,181") is None
    assert looks_like_coordinates("91,0")
    assert not looks_like_coordinates("Munich")


def test_near_takes_a_name_with_an_optional_country_or_state() -> None:
    assert parse_near("Munich") == MUNICH
    assert parse_near("Munich, DE") == MUNICH
    assert parse_near("Munich, Germany") == MUNICH
    assert parse_near("Paris, US") == locate("Paris", "US")
    assert parse_near("Paris, Texas") == locate("Paris", "US")
    # "IL" is Israel and Illinois: the reading with a Springfield wins.
    assert parse_near("Springfield, IL") == locate("Springfield", "US", "IL")
    # Named somewhere it is not: no match, rather than the other Munich.
    assert parse_near("Munich, US") is None
    assert parse_near("Qwzxv Nowhere") is None


def test_haversine_distances() -> None:
    berlin = locate("Berlin")
    assert berlin is not None
    assert distance_km(MUNICH, berlin) == pytest.approx(504, abs=5)
    assert distance_km(MUNICH, MUNICH) == 0
    # Half way round the world, and across the antimeridian.
    assert distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(20015, abs=1)
    assert distance_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, abs=0.5)
