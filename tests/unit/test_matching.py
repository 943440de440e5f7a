from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.matching import CandidateFacts, RequisitionFacts, score

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
    assert elsewhere.reasons["location"] == "not near Berlin"
    remote_role = RequisitionFacts(**{**ROLE.__dict__, "remote": "remote"})
    assert score(_candidate(city="Lisbon"), remote_role, TODAY).reasons["location"] == (
        "the role is remote"
    )
    late = score(_candidate(available_from=date(2027, 3, 3)), ROLE, TODAY)
    assert late.reasons["availability"] == "available 30 days after the start"


def test_a_rate_in_another_currency_is_not_compared() -> None:
    match = score(_candidate(rate_currency="USD"), ROLE, TODAY)
    assert match.reasons["rate"] == "asks in USD, the role pays in EUR"
