"""Live analytics through HTTP: funnel, KPIs, activity, leaderboard, sources, alerts, SSE."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Agency, System, _agency
from tests.e2e.helpers import (
    candidate_body,
    eventually,
    move,
    open_requisition,
    post_json,
    tail_topic,
)
from topics.envelopes import EventEnvelope
from topics.names import ANALYTICS_EVENTS

pytestmark = pytest.mark.stack


async def _get(agency: Agency, path: str, **params: Any) -> Any:
    r = await agency.client.get(f"/api/v1/analytics/{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def _submit(agency: Agency, requisition_id: str, source: str) -> tuple[str, str]:
    candidate = await post_json(agency, "/api/v1/candidates", candidate_body(source=source))
    submission = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": candidate["id"], "requisition_id": requisition_id},
    )
    return candidate["id"], submission["id"]


async def _funnel_is(agency: Agency, current: dict[str, int], **params: Any) -> None:
    async def settled() -> bool:
        funnel = await _get(agency, "funnel", **params)
        return {k: v for k, v in funnel["current"].items() if v} == current

    await eventually(settled, what=f"funnel {current} for {params}")


async def test_metrics_follow_the_pipeline_per_agency_and_slice(
    agency: Agency, other_agency: Agency
) -> None:
    first = await open_requisition(agency, 2)
    second = await open_requisition(agency, 1)
    _, a = await _submit(agency, first["id"], "referral")
    _, b = await _submit(agency, first["id"], "job_board")
    _, c = await _submit(agency, second["id"], "referral")
    await move(agency, a, "interviewing")
    await move(agency, b, "submitted")
    await move(agency, b, "rejected")
    await move(agency, c, "offered")
    await move(agency, c, "placed")

    await _funnel_is(agency, {"interviewing": 1, "rejected": 1, "placed": 1})
    await _funnel_is(agency, {"interviewing": 1, "rejected": 1}, requisition_id=first["id"])
    await _funnel_is(agency, {"placed": 1}, client_id=second["client_id"])
    await _funnel_is(agency, {"interviewing": 1, "placed": 1}, source="referral")
    funnel = await _get(agency, "funnel")
    assert funnel["reached"]["submitted"] == 3  # a forward move reaches the stages it skips
    conversion = {(c["from"], c["to"]): c for c in funnel["conversion"]}
    assert conversion[("submitted", "interviewing")]["from_count"] == 3
    assert conversion[("submitted", "interviewing")]["to_count"] == 2
    assert conversion[("offered", "placed")]["rate"] == 1.0

    kpis = await _get(agency, "kpis")
    assert kpis["in_pipeline"] == 1
    assert kpis["placements"] == 1
    assert kpis["time_to_submit"]["count"] == 2  # both requisitions got a submission
    assert kpis["time_to_fill"]["count"] == 1  # the second filled with its one placement
    assert kpis["time_in_stage"]["sourced"]["count"] == 3
    assert kpis["requisitions"] == {"open": 1, "filled": 1}

    activity = await _get(agency, "activity")
    assert activity["last_24h"]["submissions"] == 3
    assert activity["last_24h"]["placements"] == 1
    assert activity["last_7d"]["interviews"] == 2
    assert sum(c.get("offers", 0) for c in activity["hourly"].values()) == 1

    me = (await agency.client.get("/api/v1/me")).json()
    board = await _get(agency, "leaderboard")
    [row] = board["recruiters"]
    assert row["recruiter"] == f"user:{me['id']}"
    assert row["name"] == me["username"]
    assert (row["submissions"], row["interviews"], row["placements"]) == (3, 2, 1)
    assert row["margin"] == {"EUR": "25.00"}
    assert (await _get(agency, "funnel", recruiter=me["id"]))["current"]["placed"] == 1

    sources = {s["source"]: s for s in (await _get(agency, "sources"))["items"]}
    assert sources["referral"]["candidates"] == 2
    assert sources["referral"]["placed"] == 1
    assert sources["job_board"]["submitted"] == 1
    assert sources["job_board"]["interviewed"] == 0

    # Another agency sees none of it; two filters at once are refused.
    assert sum((await _get(other_agency, "funnel"))["current"].values()) == 0
    both = await agency.client.get(
        "/api/v1/analytics/funnel", params={"source": "x", "client_id": second["client_id"]}
    )
    assert both.status_code == 400
    assert "one of" in both.json()["detail"]


async def _sse_events(client: httpx.AsyncClient, path: str) -> AsyncIterator[tuple[str, Any]]:
    async with client.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event, data = "", ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and event:
                yield event, json.loads(data)
                event, data = "", ""


async def test_the_stream_pushes_a_move_within_a_second_or_so(agency: Agency) -> None:
    requisition = await open_requisition(agency, 1)
    _, sid = await _submit(agency, requisition["id"], "referral")
    await _funnel_is(agency, {"sourced": 1})
    events = _sse_events(agency.client, "/api/v1/analytics/stream")
    kind, snapshot = await anext(events)
    assert kind == "snapshot"
    assert snapshot["slice"]["funnel"]["current"]["sourced"] == 1

    await move(agency, sid, "client_review")
    loop = asyncio.get_running_loop()
    moved_at = loop.time()

    async def next_update() -> dict[str, Any]:
        async for kind, data in events:
            if kind == "update" and data["slice"]["funnel"]["current"]["client_review"] == 1:
                return dict(data)
        raise AssertionError("the stream ended")

    update = await asyncio.wait_for(next_update(), timeout=10)
    assert update["slice"]["funnel"]["current"]["sourced"] == 0
    assert loop.time() - moved_at < 10
    await events.aclose()


async def test_alerts_are_raised_and_cleared(system: System) -> None:
    topic = ANALYTICS_EVENTS.name(system.settings.topic_namespace)
    announced = await tail_topic(system.settings, topic)
    async with _agency(system, role="admin") as admin:
        requisition = await open_requisition(admin, 1)
        _, sid = await _submit(admin, requisition["id"], "referral")
        await move(admin, sid, "client_review")
        limits = await admin.client.put(
            "/api/v1/analytics/limits",
            json={"client_review_hours": 0.0005, "hot_quiet_hours": 1000},
        )
        assert limits.status_code == 200, limits.text

        async def raised() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (await _get(admin, "alerts"))["items"]
            return items

        [alert] = await eventually(raised, what="the client-review alert raised", timeout=20)
        assert alert["kind"] == "client_review_overdue"
        assert alert["submission_id"] == sid

        await move(admin, sid, "interviewing")

        async def cleared() -> bool:
            return not await raised()

        await eventually(cleared, what="the alert cleared", timeout=20)

        # Both were announced on the analytics topic, keyed by the alert.
        async def told() -> set[str]:
            records = await announced.getmany(timeout_ms=500)
            for batch in records.values():
                for record in batch:
                    event = EventEnvelope.model_validate_json(record.value)
                    if str(event.aggregate_id) == alert["id"]:
                        seen.add(event.type)
            return seen if seen == {"alert.raised", "alert.cleared"} else set()

        seen: set[str] = set()
        await eventually(told, what="alert.raised and alert.cleared on the topic", timeout=20)
        await announced.stop()

    async with _agency(system, role="admin") as admin:
        client = await post_json(admin, "/api/v1/clients", {"name": "Initech", "status": "active"})
        hot = await post_json(
            admin,
            "/api/v1/requisitions",
            {"client_id": client["id"], "title": "SRE", "priority": "hot"},
        )
        limits = await admin.client.put(
            "/api/v1/analytics/limits",
            json={"client_review_hours": 1000, "hot_quiet_hours": 0.0005},
        )
        assert limits.status_code == 200

        async def quiet() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (
                await _get(admin, "alerts", kind="hot_requisition_quiet")
            )["items"]
            return items

        [alert] = await eventually(quiet, what="the quiet hot requisition alert", timeout=20)
        assert alert["requisition_id"] == hot["id"]
        # A submission restarts the clock; a longer limit keeps it from tripping at once.
        await _submit(admin, hot["id"], "referral")
        await admin.client.put(
            "/api/v1/analytics/limits", json={"client_review_hours": 1000, "hot_quiet_hours": 1}
        )

        async def calm() -> bool:
            return not await quiet()

        await eventually(calm, what="the quiet alert cleared by a submission", timeout=20)

    async with _agency(system) as recruiter:
        refused = await recruiter.client.put(
            "/api/v1/analytics/limits", json={"client_review_hours": 1, "hot_quiet_hours": 1}
        )
        assert refused.status_code == 403
