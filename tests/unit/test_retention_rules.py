"""The retention rule: who is due, given the facts and `now` (domain/retention.py), and
the consent a candidate carries (topics/candidates.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.retention import (
    CandidateFacts,
    ConsentFacts,
    check_inactive_months,
    consent_state,
    due_candidates,
    end_of_day,
    inactivity_cutoff,
    judge,
    months_before,
)
from topics.candidates import CandidateFields, CandidatePatch, Consent

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 10, tzinfo=UTC)
MONTHS = 12


def _facts(**overrides: Any) -> CandidateFacts:
    fields: dict[str, Any] = {"candidate_id": uuid.uuid4(), "record_updated_at": LONG_AGO}
    fields.update(overrides)
    return CandidateFacts(**fields)


def _consent(basis: str = "consent", **dates: datetime | None) -> ConsentFacts:
    return ConsentFacts(
        basis, dates.get("given_at") or datetime(2023, 1, 1, tzinfo=UTC), dates.get("expires_at")
    )


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 6, 15, 12, tzinfo=UTC), 12, datetime(2025, 6, 15, 12, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 25, datetime(2023, 12, 15, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


def test_a_candidate_inactive_for_the_period_without_consent_is_due() -> None:
    verdict = judge(_facts(), MONTHS, NOW)
    assert verdict.due
    assert (verdict.last_activity, verdict.last_activity_source) == (LONG_AGO, "record")
    assert verdict.consent == "none"


def test_inactive_exactly_the_period_is_due_a_moment_less_is_not() -> None:
    cutoff = inactivity_cutoff(NOW, MONTHS)
    assert judge(_facts(record_updated_at=cutoff), MONTHS, NOW).due
    recent = judge(_facts(record_updated_at=cutoff + timedelta(seconds=1)), MONTHS, NOW)
    assert recent.held_by == ["recent_activity"]


@pytest.mark.parametrize(
    ("source", "overrides"),
    [
        ("submission", {"submission_at": NOW - timedelta(days=30)}),
        ("note", {"note_at": NOW - timedelta(days=30)}),
        ("document", {"document_at": NOW - timedelta(days=30)}),
        ("interview", {"interview_at": NOW + timedelta(days=3)}),  # one ahead counts
        ("placement", {"placement_at": NOW - timedelta(days=30)}),
        ("placement", {"placement_ended": (NOW - timedelta(days=30)).date()}),
    ],
)
def test_any_recent_activity_holds_a_candidate_back(source: str, overrides: dict[str, Any]) -> None:
    verdict = judge(_facts(**overrides), MONTHS, NOW)
    assert verdict.held_by == ["recent_activity"]
    assert verdict.last_activity_source == source


def test_the_latest_activity_is_reported_with_where_it_was_found() -> None:
    facts = _facts(
        note_at=datetime(2024, 6, 1, tzinfo=UTC),
        document_at=datetime(2024, 3, 1, tzinfo=UTC),
        placement_ended=date(2024, 8, 31),
        placement_statuses=("completed",),
        submission_stages=("placed",),
    )
    verdict = judge(facts, MONTHS, NOW)
    assert verdict.due
    assert verdict.last_activity == end_of_day(date(2024, 8, 31))
    assert verdict.last_activity_source == "placement"


def test_valid_consent_holds_a_candidate_back_expired_consent_does_not() -> None:
    valid = _consent(expires_at=NOW + timedelta(days=1))
    assert judge(_facts(consent=valid), MONTHS, NOW).held_by == ["valid_consent"]
    forever = _consent()  # given, no expiry: until withdrawn
    assert judge(_facts(consent=forever), MONTHS, NOW).held_by == ["valid_consent"]
    expired = judge(_facts(consent=_consent(expires_at=NOW)), MONTHS, NOW)
    assert expired.due
    assert (expired.consent, expired.consent_basis) == ("expired", "consent")


@pytest.mark.parametrize("basis", ["contract", "legitimate_interest"])
def test_contract_and_legitimate_interest_are_not_consent(basis: str) -> None:
    consent = _consent(basis, expires_at=NOW + timedelta(days=365))
    verdict = judge(_facts(consent=consent), MONTHS, NOW)
    assert verdict.due
    assert (verdict.consent, verdict.consent_basis) == ("not_consent", basis)


def test_consent_given_in_the_future_is_not_yet_valid() -> None:
    assert consent_state(_consent(given_at=NOW + timedelta(days=1)), NOW) == "not_yet_given"
    assert consent_state(None, NOW) == "none"


def test_an_unreadable_consent_is_never_a_reason_to_erase() -> None:
    assert judge(_facts(consent_unreadable=True), MONTHS, NOW).held_by == ["unreadable_consent"]


@pytest.mark.parametrize(
    "stage", ["sourced", "screened", "submitted", "client_review", "interviewing", "offered"]
)
def test_an_open_submission_holds_a_candidate_back(stage: str) -> None:
    facts = _facts(submission_stages=("rejected", stage), submission_at=LONG_AGO)
    assert judge(facts, MONTHS, NOW).held_by == ["open_submission"]


@pytest.mark.parametrize("stage", ["placed", "rejected", "withdrawn"])
def test_closed_submissions_do_not(stage: str) -> None:
    assert judge(_facts(submission_stages=(stage,), submission_at=LONG_AGO), MONTHS, NOW).due


def test_an_active_placement_holds_a_candidate_back_an_ended_one_does_not() -> None:
    active = _facts(submission_stages=("placed",), placement_statuses=("active",))
    assert judge(active, MONTHS, NOW).held_by == ["active_placement"]
    ended = _facts(submission_stages=("placed",), placement_statuses=("terminated",))
    assert judge(ended, MONTHS, NOW).due


def test_every_reason_to_hold_is_given() -> None:
    facts = _facts(
        record_updated_at=NOW,
        consent=_consent(),
        submission_stages=("interviewing",),
        placement_statuses=("active",),
    )
    assert judge(facts, MONTHS, NOW).held_by == [
        "recent_activity",
        "valid_consent",
        "open_submission",
        "active_placement",
    ]


def test_due_candidates_come_longest_inactive_first() -> None:
    older = _facts(record_updated_at=datetime(2023, 1, 1, tzinfo=UTC))
    newer = _facts(record_updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    kept = _facts(record_updated_at=NOW)
    due = due_candidates([newer, kept, older], MONTHS, NOW)
    assert [v.candidate_id for v in due] == [older.candidate_id, newer.candidate_id]


@pytest.mark.parametrize("months", [0, -1, 601])
def test_a_policy_period_out_of_bounds_says_the_bounds(months: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 600"):
        check_inactive_months(months)
    check_inactive_months(1)
    check_inactive_months(600)


def test_consent_expires_after_it_is_given() -> None:
    with pytest.raises(ValidationError, match="expires_at must be after"):
        Consent.model_validate(
            {"given_at": "2026-01-01T00:00:00Z", "basis": "consent", "expires_at": "2025-01-01"}
        )
    with pytest.raises(ValidationError, match="expires_at must be after"):
        Consent.model_validate(
            {
                "given_at": "2026-01-01T00:00:00Z",
                "basis": "consent",
                "expires_at": "2026-01-01T00:00:00Z",
            }
        )
    with pytest.raises(ValidationError, match="basis"):
        Consent.model_validate({"given_at": "2026-01-01T00:00:00Z", "basis": "vibes"})


def test_consent_times_are_kept_in_utc_a_time_without_offset_is_utc() -> None:
    consent = Consent.model_validate(
        {
            "given_at": "2026-01-01T10:00:00+02:00",
            "basis": "consent",
            "expires_at": "2027-01-01T00:00:00",
        }
    )
    assert consent.given_at == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert consent.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert consent.model_dump(mode="json")["expires_at"] == "2027-01-01T00:00:00Z"


def test_consent_with_expiry_is_taken_on_create_and_patch() -> None:
    consent = {"given_at": "2026-01-01T00:00:00Z", "basis": "consent", "expires_at": "2027-01-01"}
    created = CandidateFields.model_validate(
        {"first_name": "A", "last_name": "B", "consent": consent}
    )
    assert created.consent is not None
    assert created.consent.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
    patch = CandidatePatch.model_validate({"consent": consent})
    assert patch.changes()["consent"]["expires_at"] == "2027-01-01T00:00:00Z"
    with pytest.raises(ValidationError, match="expires_at must be after"):
        CandidatePatch.model_validate({"consent": {**consent, "expires_at": "2025-01-01"}})
