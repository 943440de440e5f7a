"""Live pipeline analytics: read from the views the analytics agent keeps in Redis.

Every metric is per agency (the caller's) and may be narrowed to one slice: a
requisition, a client, a recruiter or a candidate source. Definitions are in
`domain/analytics/model.py` and the README. Numbers follow the events within about a
second; `GET /analytics/stream` pushes them as they change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from core.clock import utcnow
from core.errors import BadQuery
from domain.analytics.model import SliceTotals
from domain.analytics.views import activity_windows, slice_view
from domain.pipeline import CLOSED_STAGES
from gateway import stream_limits
from gateway.auth import Principal
from gateway.deps import SettingsDep, StateDep, StoresDep, allow
from gateway.error_responses import problems
from gateway.stream_limits import token_expires_in
from stores import analytics_views as views
from stores.postgres.users import agency_users, usernames

router = APIRouter(prefix="/analytics", tags=["analytics"])

HEARTBEAT_SECONDS = 15.0


class SliceFilters(BaseModel):
    requisition_id: UUID | None = None
    client_id: UUID | None = None
    recruiter: str | None = None
    source: str | None = None

    def field(self) -> tuple[str, dict[str, str]]:
        """The Redis view of the slice asked for; at most one filter at a time."""
        given = {k: str(v) for k, v in self.model_dump().items() if v is not None}
        if len(given) > 1:
            raise BadQuery(
                f"narrow by one of requisition_id, client_id, recruiter or source, not "
                f"{' and '.join(sorted(given))}"
            )
        if not given:
            return views.slice_field("all", ""), {"kind": "all"}
        kind, value = next(iter(given.items()))
        if kind == "recruiter" and ":" not in value:
            value = f"user:{value}"  # a user id names the recruiter's own submissions
        name = kind.removesuffix("_id")
        return views.slice_field(name, value), {"kind": name, "value": value}


def _slice_filters(
    requisition_id: Annotated[UUID | None, Query(description="One requisition")] = None,
    client_id: Annotated[UUID | None, Query(description="One client's requisitions")] = None,
    recruiter: Annotated[
        str | None,
        Query(max_length=210, description="A user id (or `user:<id>`): who made the submissions"),
    ] = None,
    source: Annotated[
        str | None, Query(max_length=60, description="A candidate source, e.g. `referral`")
    ] = None,
) -> SliceFilters:
    return SliceFilters(
        requisition_id=requisition_id, client_id=client_id, recruiter=recruiter, source=source
    )


# The same four optional filters on every route that reads a slice; one at a time.
SliceDep = Annotated[SliceFilters, Depends(_slice_filters)]
ONE_SLICE = problems(
    {400: "More than one of requisition_id, client_id, recruiter and source: narrow by one"}
)


async def _slice(stores: Any, tenant: UUID, filters: SliceFilters) -> tuple[dict[str, Any], Any]:
    field, described = filters.field()
    view = await views.read_view(stores.redis, str(tenant), field)
    return described, view if view is not None else slice_view(SliceTotals())


class Funnel(BaseModel):
    slice: dict[str, str] = Field(description="What the numbers cover")
    current: dict[str, int] = Field(description="Submissions now in each stage")
    reached: dict[str, int] = Field(description="Submissions that ever reached each stage")
    conversion: list[dict[str, Any]] = Field(
        description="submitted → interviewing, interviewing → offered, offered → placed: "
        "reached(to) / reached(from)"
    )


@router.get(
    "/funnel",
    summary="Pipeline funnel and conversion",
    description="Submissions now in each stage, how many ever reached each stage, and the "
    "conversion between the main stages; narrowed to one requisition, client, recruiter "
    "or candidate source if asked.",
    response_model=Funnel,
    responses=ONE_SLICE,
)
async def funnel(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    filters: SliceDep,
) -> Funnel:
    described, view = await _slice(stores, principal.tenant_id, filters)
    return Funnel(
        slice=described,
        current=view["funnel"]["current"],
        reached=view["funnel"]["reached"],
        conversion=view["conversion"],
    )


class Kpis(BaseModel):
    slice: dict[str, str]
    in_pipeline: int = Field(description="Submissions in an active stage now")
    placements: int = Field(description="Submissions that reached placed")
    conversion: list[dict[str, Any]]
    time_to_submit: dict[str, Any] = Field(
        description="Requisition opened → its first submission reaching `submitted` (hours)"
    )
    time_to_fill: dict[str, Any] = Field(description="Requisition opened → filled (hours)")
    time_in_stage: dict[str, dict[str, Any]] = Field(
        description="Finished stays in each stage: count, mean, p50, p90 (hours)"
    )
    requisitions: dict[str, int] = Field(description="Requisitions by status")


@router.get(
    "/kpis",
    summary="Key figures: conversion, time to submit, time to fill, time in stage",
    description="Durations are in hours (mean, p50, p90 over every finished case); "
    "p50/p90 are nearest-rank percentiles.",
    response_model=Kpis,
    responses=ONE_SLICE,
)
async def kpis(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    filters: SliceDep,
) -> Kpis:
    described, view = await _slice(stores, principal.tenant_id, filters)
    current = view["funnel"]["current"]
    return Kpis(
        slice=described,
        in_pipeline=sum(n for s, n in current.items() if s not in CLOSED_STAGES),
        placements=view["funnel"]["reached"].get("placed", 0),
        conversion=view["conversion"],
        time_to_submit=view["time_to_submit"],
        time_to_fill=view["time_to_fill"],
        time_in_stage=view["time_in_stage"],
        requisitions=view["requisitions"],
    )


@router.get(
    "/activity",
    summary="Submissions, interviews, offers and placements over time",
    description="Tumbling windows: `hourly` and `daily` (window start → counts). Hopping "
    "windows ending now, advancing hourly: `last_24h` and `last_7d`. A move counts in the "
    "window of the moment it was made; reopening a submission does not count again.",
    responses=ONE_SLICE,
)
async def activity(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    filters: SliceDep,
) -> dict[str, Any]:
    described, view = await _slice(stores, principal.tenant_id, filters)
    return {"slice": described, **activity_windows(view, utcnow())}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@router.get(
    "/leaderboard",
    summary="Recruiter leaderboard for a week",
    description="Per recruiter (who made the submission, with `name`: the username), in "
    "the ISO week each stage was first reached: submissions, interviews, placements, the "
    "placements' margin per hour (contract) and fees (permanent) by currency. Most "
    "placements first.",
)
async def leaderboard(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    week: Annotated[
        date | None, Query(description="Any day of the week wanted; this week by default")
    ] = None,
) -> dict[str, Any]:
    monday = _monday(week or utcnow().date()).isoformat()
    board = await views.read_view(stores.redis, str(principal.tenant_id), "leaderboard")
    rows = [{"recruiter": r, **v} for r, v in (board or {}).get(monday, {}).items()]
    names = await _usernames(stores, principal.tenant_id, [r["recruiter"] for r in rows])
    for row in rows:
        row["name"] = names.get(row["recruiter"], row["recruiter"])
    rows.sort(key=lambda r: (-r["placements"], -r["interviews"], -r["submissions"], r["recruiter"]))
    return {"week": monday, "weeks": sorted(board or {}, reverse=True), "recruiters": rows}


class Recruiter(BaseModel):
    recruiter: str = Field(description="The label the slices and the leaderboard use: `user:<id>`")
    name: str = Field(description="The username, or the label of a job or key")


class Recruiters(BaseModel):
    items: list[Recruiter]


@router.get(
    "/recruiters",
    summary="Who may be picked as a recruiter slice",
    description="The agency's users who may make submissions (not viewers), and any other "
    "submitter the leaderboard has seen (a job, an API key), by name: what a dashboard "
    "offers to narrow by `recruiter`. Only names and labels, which the leaderboard shows "
    "to the same callers anyway.",
    response_model=Recruiters,
)
async def recruiters(
    principal: Annotated[Principal, allow("analytics:read")], stores: StoresDep
) -> Recruiters:
    async with stores.db.read() as conn:
        people = await agency_users(conn, principal.tenant_id)
    found = {f"user:{p['id']}": str(p["username"]) for p in people}
    board = await views.read_view(stores.redis, str(principal.tenant_id), "leaderboard")
    seen = {label for week in (board or {}).values() for label in week}
    others = await _usernames(stores, principal.tenant_id, sorted(seen - set(found)))
    found.update({label: others.get(label, label) for label in seen - set(found)})
    items = [Recruiter(recruiter=label, name=name) for label, name in found.items()]
    return Recruiters(items=sorted(items, key=lambda r: (r.name.lower(), r.recruiter)))


async def _usernames(stores: Any, tenant_id: UUID, recruiters: list[str]) -> dict[str, str]:
    """`user:<id>` -> the agency user's username (API keys and others keep their label)."""
    ids = {}
    for label in recruiters:
        kind, _, value = label.partition(":")
        with contextlib.suppress(ValueError):
            if kind == "user":
                ids[UUID(value)] = label
    if not ids:
        return {}
    async with stores.db.read() as conn:
        found = await usernames(conn, tenant_id, list(ids))
    return {ids[user_id]: name for user_id, name in found.items()}


@router.get(
    "/sources",
    summary="Source effectiveness",
    description="Per candidate source: candidates, and how many reached submitted, "
    "interviewing and placed in any submission, with the share of candidates.",
)
async def sources(
    principal: Annotated[Principal, allow("analytics:read")], stores: StoresDep
) -> dict[str, Any]:
    found = await views.read_view(stores.redis, str(principal.tenant_id), "sources")
    items = []
    for name, counts in (found or {}).items():
        total = counts.get("candidates", 0)
        rates = {
            f"{step}_rate": round(counts[step] / total, 4) if total else None
            for step in ("submitted", "interviewed", "placed")
        }
        items.append({"source": name, **counts, **rates})
    items.sort(key=lambda i: (-i["candidates"], i["source"]))
    return {"items": items}


@router.get(
    "/alerts",
    summary="Service-level alerts now raised",
    description="Submissions waiting in client review past the agency's limit, hot open "
    "requisitions with no new submission past theirs. Each was announced as `alert.raised` "
    "on the analytics topic and goes away (`alert.cleared`) when resolved.",
)
async def alerts(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    kind: Annotated[
        Literal["client_review_overdue", "hot_requisition_quiet"] | None, Query()
    ] = None,
) -> dict[str, Any]:
    found = await views.read_alerts(stores.redis, str(principal.tenant_id))
    items = sorted(found.values(), key=lambda a: (a["since"], a["id"]))
    return {"items": [a for a in items if kind is None or a["kind"] == kind]}


class Limits(BaseModel):
    client_review_hours: float = Field(
        gt=0, le=24 * 365, description="Longest wait in client review before an alert"
    )
    hot_quiet_hours: float = Field(
        gt=0, le=24 * 365, description="Longest a hot requisition may go without a submission"
    )


@router.get("/limits", summary="The agency's service-level limits", response_model=Limits)
async def get_limits(
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    settings: SettingsDep,
) -> Limits:
    own = await views.read_limits(stores.redis, str(principal.tenant_id))
    return Limits(
        client_review_hours=own.get("client_review_hours", settings.analytics_client_review_hours),
        hot_quiet_hours=own.get("hot_quiet_hours", settings.analytics_hot_quiet_hours),
    )


@router.put(
    "/limits",
    summary="Set the agency's service-level limits (admins)",
    description="Takes effect at the next check (ANALYTICS_ALERT_CHECK_SECONDS).",
    response_model=Limits,
)
async def put_limits(
    principal: Annotated[Principal, allow("analytics:configure")], stores: StoresDep, body: Limits
) -> Limits:
    await views.write_limits(stores.redis, str(principal.tenant_id), body.model_dump())
    return body


async def _snapshot(stores: Any, tenant: str, field: str) -> dict[str, Any]:
    found, alerts = await views.read_views_and_alerts(
        stores.redis, tenant, [field, "leaderboard", "sources"]
    )
    view = found[field]
    return {
        "slice": view if view is not None else slice_view(SliceTotals()),
        "leaderboard": found["leaderboard"] or {},
        "sources": found["sources"] or {},
        "alerts": sorted(alerts.values(), key=lambda a: a["since"]),
    }


def _sse(event: str, data: Any, ident: int) -> bytes:
    return f"id: {ident}\nevent: {event}\ndata: {json.dumps(data)}\n\n".encode()


@router.get(
    "/stream",
    summary="Live analytics (Server-Sent Events)",
    description="`text/event-stream`. First a `snapshot` event with the slice's view "
    "(funnel, conversion, durations, activity), the leaderboard, sources and alerts; then "
    "an `update` event with the same shape each time one of them changes (within about a "
    "second of the event), and a comment every 15 s to keep proxies from closing it. "
    "Narrow with the same filters as the other routes. A stream opened with a bearer "
    "token ends with an `expired` event when the token expires (reconnect with a fresh "
    "one). At most SSE_STREAMS_PER_USER streams per user or API key and "
    "SSE_STREAMS_PER_AGENCY per agency are open at once; past either, 429.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The stream of events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **ONE_SLICE,
        **problems({429: "Too many requests, or too many streams open for you or your agency"}),
    },
)
async def stream(
    request: Request,
    principal: Annotated[Principal, allow("analytics:read")],
    stores: StoresDep,
    state: StateDep,
    filters: SliceDep,
) -> StreamingResponse:
    field, _ = filters.field()
    tenant = str(principal.tenant_id)
    expires_in = token_expires_in(request, state.settings)
    deadline = None if expires_in is None else time.monotonic() + expires_in
    lease = await stream_limits.claim(state.settings, stores.redis, principal)
    try:
        queue = await state.analytics_hub.listen(tenant)
    except BaseException:
        await lease.release()
        raise
    watched = {field, "leaderboard", "sources", "alerts"}

    async def events() -> AsyncIterator[bytes]:
        ident = 0
        try:
            yield _sse("snapshot", await _snapshot(stores, tenant, field), ident)
            while not await request.is_disconnected():
                left = HEARTBEAT_SECONDS if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    yield _sse(
                        "expired",
                        {"detail": "The access token expired; reconnect with a fresh one."},
                        ident + 1,
                    )
                    return
                await lease.keep()
                try:
                    changed = await asyncio.wait_for(queue.get(), min(HEARTBEAT_SECONDS, left))
                except TimeoutError:
                    if deadline is None or deadline - time.monotonic() > 0:
                        yield f": {datetime.now(UTC).isoformat()}\n\n".encode()
                    continue
                while not queue.empty():  # a burst of changes: one update for all
                    changed = changed + queue.get_nowait()
                if watched.isdisjoint(changed):
                    continue
                ident += 1
                yield _sse("update", await _snapshot(stores, tenant, field), ident)
        finally:
            state.analytics_hub.leave(tenant, queue)
            await lease.release()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
