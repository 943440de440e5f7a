"""The retention run's bookkeeping: one command id per agency and candidate, and outcomes
sorted into erased, already gone and failed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from app.jobs.retention import PolicyView, RetentionReport, _count, command_id_for


def test_an_erasure_has_one_command_id_per_agency_and_candidate() -> None:
    tenant, other, candidate = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert command_id_for(tenant, candidate) == command_id_for(tenant, candidate)
    assert command_id_for(tenant, candidate) != command_id_for(other, candidate)


def test_outcomes_are_sorted_into_erased_gone_and_failed() -> None:
    report = RetentionReport("acme", False, datetime(2026, 1, 1, tzinfo=UTC), PolicyView(12))
    erased, gone, refused = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _count(report, erased, "applied", None)
    _count(report, gone, "rejected", {"code": "not_found", "message": f"no candidate {gone}"})
    _count(report, refused, "rejected", {"code": "forbidden", "message": "not allowed"})
    assert (report.erased, report.already_gone) == ([erased], [gone])
    [failure] = report.failed
    assert (failure.candidate_id, failure.code, failure.message) == (
        refused,
        "forbidden",
        "not allowed",
    )
    as_json = report.as_dict()
    assert as_json["erased"] == [str(erased)]
    assert as_json["failed"] == [
        {"candidate_id": str(refused), "code": "forbidden", "message": "not allowed"}
    ]
    assert as_json["policy"]["enabled"] is True
