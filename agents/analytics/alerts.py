"""Service-level alerts: found from the analytics state and the clock, raised and cleared.

- A submission waiting in `client_review` longer than the agency's limit (default 48 h).
- An open hot requisition with no new submission for longer than its limit (default
  72 h), counted from when it opened or its latest submission, whichever is later.

Which alerts hold is a function of the state and the time, so a check is repeatable: an
alert kept in Redis and not found again is cleared, one found and not kept is raised.
Each is announced once on the analytics topic (`alert.raised`, `alert.cleared`, event id
derived from the alert) before Redis records it, so a crash repeats an announcement
rather than losing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from agents.analytics.state import AnalyticsState
from core.settings import Settings
from domain.analytics.model import HOUR, RequisitionState, SubmissionState
from stores import analytics_views as views
from stores.bundle import Stores
from topics.analytics import ALERT_CLEARED, ALERT_RAISED, Alert
from topics.envelopes import Actor, EventEnvelope

ALERTS = uuid.UUID("6f1d0c52-7d0a-4c57-9a33-3c8f0a4ab1e2")
ANALYTICS_ACTOR = Actor(id="analytics", kind="system")

Publish = Callable[[str, bytes, bytes], Awaitable[None]]


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def due_alerts(
    state: AnalyticsState,
    tenant_id: str,
    now: float,
    limits: dict[str, float],
    candidates: tuple[list[SubmissionState], list[RequisitionState]],
) -> dict[str, Alert]:
    """Every alert that holds for one agency at `now`, by id.

    `candidates`: the agency's submissions in client review and its open hot requisitions.
    """
    review_hours = limits["client_review_hours"]
    quiet_hours = limits["hot_quiet_hours"]
    found: dict[str, Alert] = {}
    waiting, hot = candidates
    for s in waiting:
        if not s.moves:
            continue
        since = s.moves[-1].at
        if now - since > review_hours * HOUR:
            alert_id = uuid.uuid5(ALERTS, f"{tenant_id}|client_review|{s.id}|{since}")
            found[str(alert_id)] = Alert(
                id=alert_id,
                tenant_id=uuid.UUID(tenant_id),
                kind="client_review_overdue",
                requisition_id=uuid.UUID(s.requisition_id),
                submission_id=uuid.UUID(s.id),
                candidate_id=uuid.UUID(s.candidate_id),
                since=_at(since),
                limit_hours=review_hours,
                message=f"Waiting in client review for more than {review_hours:g} h",
                raised_at=_at(now),
            )
    for r in hot:
        latest = [state.subs[sid].moves[0].at for sid in state.by_req.get(r.id, ())]
        since = max([r.opened_at, *[t for t in latest if t is not None]])
        if now - since > quiet_hours * HOUR:
            alert_id = uuid.uuid5(ALERTS, f"{tenant_id}|hot_quiet|{r.id}|{since}")
            found[str(alert_id)] = Alert(
                id=alert_id,
                tenant_id=uuid.UUID(tenant_id),
                kind="hot_requisition_quiet",
                requisition_id=uuid.UUID(r.id),
                since=_at(since),
                limit_hours=quiet_hours,
                message=f"Hot requisition with no new submission for {quiet_hours:g} h",
                raised_at=_at(now),
            )
    return found


def why_cleared(state: AnalyticsState, alert: dict[str, Any]) -> str:
    if alert["kind"] == "client_review_overdue":
        s = state.subs.get(str(alert["submission_id"]))
        if s is not None and s.stage != "client_review":
            return f"moved to {s.stage}"
        return "no longer overdue"
    r = state.reqs.get(str(alert["requisition_id"]))
    if r is None or r.status != "open":
        return f"requisition is {r.status if r else 'gone'}"
    if r.priority != "hot":
        return f"requisition is now {r.priority}"
    return "a submission arrived"


def alert_event(kind: str, alert: Alert) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid5(alert.id, kind),
        type=kind,
        tenant_id=alert.tenant_id,
        aggregate_id=alert.id,
        version=1 if kind == ALERT_RAISED else 2,
        occurred_at=alert.cleared_at or alert.raised_at,
        caused_by=alert.id,
        actor=ANALYTICS_ACTOR,
        data=alert.model_dump(mode="json"),
    )


async def check_alerts(
    state: AnalyticsState,
    stores: Stores,
    settings: Settings,
    topic: str,
    publish: Publish,
    now: float,
) -> tuple[int, int]:
    """Raise and clear the alerts of the agencies this worker holds; (raised, cleared)."""
    await stores.start()
    redis = stores.redis
    raised = cleared = 0
    # One pass over the records for every agency, not one per agency.
    watched: dict[str, tuple[list[SubmissionState], list[RequisitionState]]] = {
        tenant_id: ([], []) for tenant_id in state.tenants
    }
    for s in state.subs.values():
        if s.stage == "client_review" and s.tenant_id in watched:
            watched[s.tenant_id][0].append(s)
    for r in state.reqs.values():
        if r.status == "open" and r.priority == "hot" and r.tenant_id in watched:
            watched[r.tenant_id][1].append(r)
    for tenant_id in list(state.tenants):
        limits = {
            "client_review_hours": settings.analytics_client_review_hours,
            "hot_quiet_hours": settings.analytics_hot_quiet_hours,
            **await views.read_limits(redis, tenant_id),
        }
        due = due_alerts(state, tenant_id, now, limits, watched.get(tenant_id, ([], [])))
        kept = await views.read_alerts(redis, tenant_id)
        for alert_id, alert in due.items():
            if alert_id in kept:
                continue
            await publish(topic, alert.id.bytes, _message(ALERT_RAISED, alert))
            await views.keep_alert(redis, tenant_id, alert.model_dump(mode="json"))
            raised += 1
        for alert_id in kept.keys() - due.keys():
            gone = kept[alert_id]
            record = Alert.model_validate(
                {**gone, "cleared_at": _at(now), "cleared_because": why_cleared(state, gone)}
            )
            await publish(topic, record.id.bytes, _message(ALERT_CLEARED, record))
            await views.drop_alert(redis, tenant_id, alert_id)
            cleared += 1
    return raised, cleared


def _message(kind: str, alert: Alert) -> bytes:
    return alert_event(kind, alert).model_dump_json().encode()
