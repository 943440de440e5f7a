"""Which service-level alerts hold, from the analytics state and the clock alone."""

from __future__ import annotations

import uuid

from agents.analytics.alerts import due_alerts, why_cleared
from agents.analytics.state import AnalyticsState, MemoryTable
from domain.analytics.model import HOUR, Move, RequisitionState, SubmissionState

T0 = 1_800_000_000.0
LIMITS = {"client_review_hours": 48.0, "hot_quiet_hours": 72.0}


def _state() -> tuple[AnalyticsState, SubmissionState, RequisitionState]:
    state = AnalyticsState(MemoryTable(), MemoryTable(), MemoryTable())
    tenant = str(uuid.uuid4())
    req = RequisitionState(
        id=str(uuid.uuid4()),
        tenant_id=tenant,
        client_id=str(uuid.uuid4()),
        status="open",
        priority="hot",
        opened_at=T0,
        filled_at=None,
        version=1,
    )
    sub = SubmissionState(
        id=str(uuid.uuid4()),
        tenant_id=tenant,
        candidate_id=str(uuid.uuid4()),
        requisition_id=req.id,
        recruiter="user:r",
        stage="client_review",
        version=2,
        moves=[Move(None, "sourced", T0 + HOUR), Move("sourced", "client_review", T0 + 2 * HOUR)],
    )
    state.reqs[req.id] = req
    state.subs[sub.id] = sub
    state.by_req[req.id] = {sub.id}
    return state, sub, req


def test_a_wait_in_client_review_past_the_limit_is_due() -> None:
    state, sub, req = _state()
    watched = ([sub], [req])
    inside = due_alerts(state, sub.tenant_id, T0 + 49 * HOUR, LIMITS, watched)
    assert [a.kind for a in inside.values()] == []
    late = due_alerts(state, sub.tenant_id, T0 + 51 * HOUR, LIMITS, watched)
    [alert] = late.values()
    assert alert.kind == "client_review_overdue"
    assert str(alert.submission_id) == sub.id
    # The same wait is the same alert, however often it is checked.
    assert late.keys() == due_alerts(state, sub.tenant_id, T0 + 60 * HOUR, LIMITS, watched).keys()
    sub.stage = "interviewing"
    assert why_cleared(state, alert.model_dump(mode="json")) == "moved to interviewing"


def test_a_hot_requisition_counts_from_its_latest_submission() -> None:
    state, _, req = _state()
    watched: tuple[list[SubmissionState], list[RequisitionState]] = ([], [req])
    # Opened at T0, last submission at T0 + 1 h: quiet for 72 h from then.
    assert due_alerts(state, req.tenant_id, T0 + 72.5 * HOUR, LIMITS, watched) == {}
    [alert] = due_alerts(state, req.tenant_id, T0 + 73.5 * HOUR, LIMITS, watched).values()
    assert alert.kind == "hot_requisition_quiet"
    req.priority = "warm"
    assert why_cleared(state, alert.model_dump(mode="json")) == "requisition is now warm"
