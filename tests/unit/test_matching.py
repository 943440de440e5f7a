from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.geo import locate
from domain.matching import (
    RULES,
    WEIGHTS,
    CandidateFacts,
    RequisitionFacts,
    authorised_in,
    needs_work_authorization,
    score,
)

TODAY = date(2027, 1, 10)
ROLE = RequisitionFacts(
    required_skills=["Python", "Kubernetes"],
    nice_to_have_skills=["Kafka"],
    title="Senior Python Engineer",
    city="Berlin",
    country="DE",
    remote="onsite",
    start_by=date(2027, 2, 1),
    bill_rate_max=Decimal("100"),
    currency="EUR",
)


def _candidate(**overrides: object) -> CandidateFacts:
    fields: dict[str, object] = {
        "skills": {"python": 8.0, "kubernetes": 4.0, "kafka": None},
        "headline": "Senior Python Engineer",
        "city": "Berlin",
        "country": "DE",
        "rate": Decimal("90"),
        "rate_currency": "EUR",
    }
    fields.update(overrides)
    return CandidateFacts(**fields)  # type: ignore[arg-type]


def test_the_complete_candidate_scores_near_one_with_reasons() -> None:
    match = score(_candidate(), ROLE, TODAY)
    assert match.score > 0.9
    assert match.reasons["matched_skills"] == ["Python", "Kubernetes"]
    assert match.reasons["missing_required_skills"] == []
    assert match.reasons["matched_nice_to_have_skills"] == ["Kafka"]
    assert match.reasons["title_words"] == ["engineer", "python", "senior"]
    assert match.reasons["rate"] == "within the bill rate"


def test_a_missing_required_skill_costs_more_than_its_share() -> None:
    full = score(_candidate(), ROLE, TODAY)
    missing = score(_candidate(skills={"python": 8.0, "kafka": None}), ROLE, TODAY)
    assert missing.reasons["missing_required_skills"] == ["Kubernetes"]
    assert missing.score < full.score * 0.75


def test_years_of_experience_count_up_to_five() -> None:
    novice = score(_candidate(skills={"python": 0.5, "kubernetes": 0.5}), ROLE, TODAY)
    senior = score(_candidate(skills={"python": 5.0, "kubernetes": 5.0}), ROLE, TODAY)
    veteran = score(_candidate(skills={"python": 20.0, "kubernetes": 20.0}), ROLE, TODAY)
    assert novice.score < senior.score == veteran.score


def test_rate_gap_location_and_availability_are_reasons() -> None:
    pricey = score(_candidate(rate=Decimal("120")), ROLE, TODAY)
    assert pricey.reasons["rate_gap"] == "20"
    assert pricey.score < score(_candidate(), ROLE, TODAY).score
    elsewhere = score(_candidate(city="Lisbon", country="PT"), ROLE, TODAY)
    assert elsewhere.reasons["location"] == "in PT, not near Berlin"
    remote_role = RequisitionFacts(**{**ROLE.__dict__, "remote": "remote"})
    assert score(_candidate(city="Lisbon"), remote_role, TODAY).reasons["location"] == (
        "the role is remote"
    )
    late = score(_candidate(available_from=date(2027, 3, 3)), ROLE, TODAY)
    assert late.reasons["availability"] == "available 30 days after the start"


def test_a_rate_in_another_currency_is_not_compared() -> None:
    match = score(_candidate(rate_currency="USD"), ROLE, TODAY)
    assert match.reasons["rate"] == "asks in USD, the role pays in EUR"


MUNICH = locate("Munich", "DE")
MUNICH_ROLE = RequisitionFacts(
    **{**ROLE.__dict__, "city": "Munich", "point": MUNICH, "title": "Python Engineer"}
)


def _at(city: str, country: str, **overrides: object) -> CandidateFacts:
    return _candidate(city=city, country=country, point=locate(city, country), **overrides)


def test_the_weights_are_one_table_that_sums_to_one_with_a_reason_each() -> None:
    assert abs(sum(WEIGHTS.values()) - 1) < 1e-9
    for name in WEIGHTS:
        assert getattr(RULES, name).why


def test_a_deal_breaker_sorts_below_everyone_without_one() -> None:
    weak_local = _at("Munich", "DE", skills={"python": 1.0, "kubernetes": 1.0}, headline=None)
    strong_far = _at("Warsaw", "PL")
    local, far = score(weak_local, MUNICH_ROLE, TODAY), score(strong_far, MUNICH_ROLE, TODAY)
    assert far.score < 0.75 <= local.score
    assert far.reasons["deal_breakers"] == [
        "810 km from Munich, beyond a commute for an onsite role, and not willing to relocate"
    ]
    assert far.reasons["distance_km"] == 810.5
    missing = score(_at("Munich", "DE", skills={"python": 9.0}), MUNICH_ROLE, TODAY)
    assert missing.score < far.score
    assert missing.reasons["deal_breakers"] == ["missing required skill Kubernetes"]


def test_onsite_reach_is_a_commute_and_relocation_is_honoured() -> None:
    dachau = score(_at("Dachau", "DE"), MUNICH_ROLE, TODAY)
    assert dachau.reasons["location"] == "17 km from Munich"
    assert dachau.reasons["deal_breakers"] == []
    augsburg = score(_at("Augsburg", "DE"), MUNICH_ROLE, TODAY)
    assert augsburg.reasons["deal_breakers"]  # 57 km: a move for an onsite role
    hybrid = RequisitionFacts(**{**MUNICH_ROLE.__dict__, "remote": "hybrid"})
    assert score(_at("Augsburg", "DE"), hybrid, TODAY).reasons["deal_breakers"] == []
    moving = score(_at("Warsaw", "PL", willing_to_relocate=True), MUNICH_ROLE, TODAY)
    assert moving.reasons["deal_breakers"] == []
    assert moving.reasons["location"] == "810 km from Munich, willing to relocate"
    assert moving.score < dachau.score
    # For a hybrid role, relocating counts within the country.
    berlin = _at("Berlin", "DE", willing_to_relocate=True)
    assert score(berlin, hybrid, TODAY).reasons["deal_breakers"] == []
    abroad = _at("Warsaw", "PL", willing_to_relocate=True)
    assert score(abroad, hybrid, TODAY).reasons["deal_breakers"]
    remote = RequisitionFacts(**{**MUNICH_ROLE.__dict__, "remote": "remote"})
    assert score(_at("Warsaw", "PL"), remote, TODAY).reasons["deal_breakers"] == []


def test_a_rate_far_over_the_bill_rate_is_a_deal_breaker_and_a_little_over_a_gap() -> None:
    fits = score(_at("Munich", "DE"), MUNICH_ROLE, TODAY)
    little = score(_at("Munich", "DE", rate=Decimal("110")), MUNICH_ROLE, TODAY)
    far = score(_at("Munich", "DE", rate=Decimal("130")), MUNICH_ROLE, TODAY)
    assert fits.score > little.score >= 0.75 > far.score
    assert far.reasons["deal_breakers"] == ["rate 30% above the bill rate"]
    day_rate = _at("Munich", "DE", rate=Decimal("720"), rate_unit="day")
    assert score(day_rate, MUNICH_ROLE, TODAY).reasons["rate"] == "within the bill rate"


def test_skills_written_in_text_count_with_less_weight_and_say_where() -> None:
    listed = score(_at("Munich", "DE"), MUNICH_ROLE, TODAY)
    in_headline = score(
        _at(
            "Munich",
            "DE",
            skills={"python": 8.0, "kafka": None},
            skills_in_text={"kubernetes": "headline"},
        ),
        MUNICH_ROLE,
        TODAY,
    )
    assert in_headline.reasons["missing_required_skills"] == []
    assert in_headline.reasons["deal_breakers"] == []
    assert {"name": "Kubernetes", "found_in": "headline"} in in_headline.reasons["skills_found"]
    assert {"name": "Python", "found_in": "skills", "years": 8.0} in in_headline.reasons[
        "skills_found"
    ]
    assert 0.75 <= in_headline.score < listed.score


def test_a_role_that_sponsors_no_visa_needs_authorised_people() -> None:
    assert needs_work_authorization("Hybrid. No visa sponsorship.")
    assert needs_work_authorization("You must be authorised to work in Germany.")
    assert needs_work_authorization("Visa sponsorship is not available for this role.")
    assert needs_work_authorization("We cannot sponsor visas; you must hold a valid work permit.")
    assert not needs_work_authorization("We offer visa support.")
    assert authorised_in("EU citizen", "DE") is True
    assert authorised_in("EU citizen", "GB") is False
    assert authorised_in("UK right to work", "GB") is True
    assert authorised_in("Needs visa sponsorship", "DE") is False
    assert authorised_in("Requires a work permit", "GB") is False
    assert authorised_in("Blue Card holder", "DE") is True
    assert authorised_in("German citizen", "NL") is True
    assert authorised_in("German citizen", "GB") is False
    assert authorised_in("ask me", "DE") is None
    role = RequisitionFacts(**{**MUNICH_ROLE.__dict__, "needs_work_authorization": True})
    visa = score(_at("Munich", "DE", work_authorization="Needs visa sponsorship"), role, TODAY)
    assert visa.reasons["work_authorization"] == "not authorised"
    assert len(visa.reasons["deal_breakers"]) == 1
    unknown = score(_at("Munich", "DE"), role, TODAY)
    assert unknown.reasons["work_authorization"] == "not stated"
    assert unknown.reasons["deal_breakers"] == []
