"""The live analytics agree with Postgres, the ground truth, after a few thousand events.

The workload goes straight onto the command topics, as an integration would send it:
candidates, then submissions moving along random legal paths (skipping stages, rejected,
withdrawn, reopened, placed) by four recruiters. Every metric is then computed again
here from Postgres, by its definition, independently of `core/analytics`.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import utcnow
from stores.bundle import Stores
from stores.kafka import CommandPublisher
from stores.postgres.commands import get_outcomes
from stores.postgres.tables import candidates, placements, requisitions, submissions
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import PLACEMENT, candidate_body, eventually, post_json
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS, PIPELINE_COMMANDS

pytestmark = pytest.mark.stack

FORWARD = ["sourced", "screened", "submitted", "client_review", "interviewing", "offered", "placed"]
SOURCES = ["referral", "job_board", "sourced", "agency", None]
RECRUITERS = [Actor(id=f"recruiter-{i}") for i in range(4)]
N_CANDIDATES = 150
N_SUBMISSIONS = 700


def _command(agency: Agency, kind: str, actor: Actor, payload: dict[str, Any]) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type=kind,
        tenant_id=agency.tenant_id,
        actor=actor,
        issued_at=utcnow(),
        reply=False,
        payload=payload,
    )


def _path(rng: random.Random) -> list[dict[str, Any]]:
    """Moves after `sourced`: forward (some skipping), maybe closed, maybe reopened."""
    moves: list[dict[str, Any]] = []
    at = 0
    end = rng.randrange(0, len(FORWARD) - 1)  # the furthest active stage it gets to
    while at < end:
        at = min(end, at + rng.choice([1, 1, 1, 2]))
        moves.append({"to": FORWARD[at]})
    roll = rng.random()
    if roll < 0.15 and end >= 5:
        moves.append({"to": "placed", **PLACEMENT})
    elif roll < 0.45:
        moves.append({"to": "rejected", "reason": "not a fit", "rejected_by": "client"})
        if rng.random() < 0.3:
            moves.append({"to": "reopen"})
    elif roll < 0.55:
        moves.append({"to": "withdrawn", "reason": "took another offer"})
    return moves


async def _workload(agency: Agency, system: System, rng: random.Random) -> list[uuid.UUID]:
    clients = [
        await post_json(agency, "/api/v1/clients", {"name": f"Client {i}", "status": "active"})
        for i in range(3)
    ]
    reqs = []
    for i in range(9):
        body = {
            "client_id": clients[i % 3]["id"],
            "title": f"Engineer {i}",
            # A few fill up (so time to fill is measured); the rest keep taking submissions.
            "openings": 2 if i < 2 else 500,
            "employment_type": "contract",
            "priority": "hot" if i % 4 == 0 else "warm",
        }
        reqs.append(await post_json(agency, "/api/v1/requisitions", body))
    # Whether the random paths fill a requisition depends on how the partitions interleave
    # (a duplicate submission that lands first is rejected), so one fill is scripted: its
    # own requisition with one opening and its own candidate, created before it is submitted.
    fill_req = await post_json(
        agency, "/api/v1/requisitions", {**body, "title": "Engineer filled", "openings": 1}
    )
    fill_person = await post_json(agency, "/api/v1/candidates", candidate_body())
    publisher = CommandPublisher(system.settings, system.settings.kafka_login("gateway"))
    ns = system.settings.topic_namespace
    sent: list[uuid.UUID] = []
    try:
        people = []
        for _ in range(N_CANDIDATES):
            cid = uuid.uuid4()
            body = candidate_body(source=rng.choice(SOURCES))
            command = _command(
                agency, "candidate.create", RECRUITERS[0], {**body, "candidate_id": str(cid)}
            )
            await publisher.publish(
                CANDIDATE_COMMANDS.name(ns), str(cid), command.model_dump_json().encode()
            )
            sent.append(command.command_id)
            people.append(cid)
        for _ in range(N_SUBMISSIONS):
            sid = uuid.uuid4()
            actor = rng.choice(RECRUITERS)
            create = _command(
                agency,
                "submission.create",
                actor,
                {
                    "submission_id": str(sid),
                    "candidate_id": str(rng.choice(people)),
                    "requisition_id": rng.choice(reqs)["id"],
                },
            )
            batch = [create] + [
                _command(agency, "submission.transition", actor, {**m, "submission_id": str(sid)})
                for m in _path(rng)
            ]
            for command in batch:  # one key: applied in this order
                await publisher.publish(
                    PIPELINE_COMMANDS.name(ns), str(sid), command.model_dump_json().encode()
                )
                sent.append(command.command_id)
        fill_id = str(uuid.uuid4())
        fill = [
            _command(
                agency,
                "submission.create",
                RECRUITERS[1],
                {
                    "submission_id": fill_id,
                    "candidate_id": fill_person["id"],
                    "requisition_id": fill_req["id"],
                },
            )
        ] + [
            _command(
                agency, "submission.transition", RECRUITERS[1], {**m, "submission_id": fill_id}
            )
            for m in [{"to": stage} for stage in FORWARD[1:-1]] + [{"to": "placed", **PLACEMENT}]
        ]
        for command in fill:
            await publisher.publish(
                PIPELINE_COMMANDS.name(ns), fill_id, command.model_dump_json().encode()
            )
            sent.append(command.command_id)
    finally:
        await publisher.stop()
    return sent


def _epoch(value: Any) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return float(value.timestamp())


def _reached(history: list[dict[str, Any]]) -> dict[str, float]:
    first: dict[str, float] = {}
    for h in history:
        to = h["to"]
        stages = FORWARD[: FORWARD.index(to) + 1] if to in FORWARD else [to]
        for stage in stages:
            first.setdefault(stage, _epoch(h["at"]))
    return first


def _summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)

    def pick(p: int) -> float | None:
        if not ordered:
            return None
        return round(ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] / 3600, 3)

    mean = round(sum(ordered) / len(ordered) / 3600, 3) if ordered else None
    return {"count": len(ordered), "mean_hours": mean, "p50_hours": pick(50), "p90_hours": pick(90)}


async def _truth(stores: Stores, tenant: uuid.UUID) -> dict[str, Any]:
    async with stores.db.read() as conn:
        subs = [
            dict(r)
            for r in (
                await conn.execute(select(submissions).where(submissions.c.tenant_id == tenant))
            ).mappings()
        ]
        reqs = {
            r["id"]: dict(r)
            for r in (
                await conn.execute(select(requisitions).where(requisitions.c.tenant_id == tenant))
            ).mappings()
        }
        people = {
            r["id"]: dict(r)
            for r in (
                await conn.execute(select(candidates).where(candidates.c.tenant_id == tenant))
            ).mappings()
        }
        placed = {
            r["submission_id"]: dict(r)
            for r in (
                await conn.execute(select(placements).where(placements.c.tenant_id == tenant))
            ).mappings()
        }
    slices: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"current": Counter(), "reached": Counter(), "stays": defaultdict(list)}
    )
    board: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    hourly: dict[str, Counter[str]] = defaultdict(Counter)
    first_submitted: dict[uuid.UUID, float] = {}
    by_person: dict[uuid.UUID, set[str]] = defaultdict(set)
    kinds = {"submitted": "submissions", "interviewing": "interviews", "offered": "offers"}
    kinds["placed"] = "placements"
    for s in subs:
        history = s["history"]
        recruiter = history[0]["actor"]
        source = people[s["candidate_id"]]["source"] or "unknown"
        keys = [
            ("all", ""),
            ("requisition", str(s["requisition_id"])),
            ("client", str(reqs[s["requisition_id"]]["client_id"])),
            ("recruiter", recruiter),
            ("source", source),
        ]
        reached = _reached(history)
        by_person[s["candidate_id"]] |= set(reached)
        for key in keys:
            slices[key]["current"][s["stage"]] += 1
            for stage in reached:
                slices[key]["reached"][stage] += 1
            for here, after in itertools.pairwise(history):
                slices[key]["stays"][here["to"]].append(_epoch(after["at"]) - _epoch(here["at"]))
        if "submitted" in reached:
            rid = s["requisition_id"]
            first_submitted[rid] = min(first_submitted.get(rid, math.inf), reached["submitted"])
        for stage, kind in kinds.items():
            if stage in reached:
                hour = datetime.fromtimestamp(reached[stage] // 3600 * 3600, UTC)
                hourly[hour.isoformat().replace("+00:00", "Z")][kind] += 1
                if kind != "offers":
                    board[("week", recruiter)][kind] += 1
        if s["id"] in placed:
            p = placed[s["id"]]
            board[("week", recruiter)][f"margin:{p['currency']}"] += int(p["margin"] * 100)
    sources: dict[str, Counter[str]] = defaultdict(Counter)
    for cid, person in people.items():
        if person["merged_into"] is not None:
            continue
        name = person["source"] or "unknown"
        sources[name]["candidates"] += 1
        for stage, step in (("submitted", "submitted"), ("interviewing", "interviewed")):
            sources[name][step] += stage in by_person[cid]
        sources[name]["placed"] += "placed" in by_person[cid]
    to_submit = [first_submitted[r] - _epoch(reqs[r]["opened_at"]) for r in first_submitted]
    to_fill = [
        _epoch(r["filled_at"]) - _epoch(r["opened_at"]) for r in reqs.values() if r["filled_at"]
    ]
    return {
        "slices": slices,
        "board": board,
        "hourly": hourly,
        "sources": sources,
        "time_to_submit": _summary(to_submit),
        "time_to_fill": _summary(to_fill),
        "requisitions": Counter(r["status"] for r in reqs.values()),
        # Every stage move is one event (creation included), plus placements.
        "events": sum(len(s["history"]) for s in subs) + len(placed),
    }


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


async def test_every_metric_agrees_with_postgres(agency: Agency, system: System) -> None:
    rng = random.Random(20261126)
    sent = await _workload(agency, system, rng)
    stores = Stores(system.settings)
    await stores.start()
    try:

        async def all_done() -> bool:
            async with stores.db.read() as conn:
                done = await get_outcomes(conn, agency.tenant_id, sent)
            return len(done) == len(sent)

        await eventually(all_done, what="every command applied or rejected", timeout=180)
        truth = await _truth(stores, agency.tenant_id)
    finally:
        await stores.stop()
    assert truth["events"] + N_CANDIDATES > 2000, "a few thousand events"

    # The analytics are eventually consistent, and no single figure says they have caught
    # up: a rejection then a reopen in flight leaves every `current` count as it will end.
    # So every metric is compared until all agree, and a timeout names the ones that do not.
    found: list[str] = []

    async def settled() -> bool:
        found[:] = await _disagreements(agency, truth)
        return not found

    try:
        await eventually(settled, what="every metric agreeing with Postgres", timeout=60)
    except AssertionError:
        pytest.fail("\n".join(["the analytics still disagree with Postgres:", *found]))
    kpis = (await agency.client.get("/api/v1/analytics/kpis")).json()
    assert kpis["time_to_fill"]["count"] >= 1


async def _disagreements(agency: Agency, truth: dict[str, Any]) -> list[str]:
    """Each metric the API gives that differs from Postgres: what, got, expected."""
    wrong: list[str] = []

    def check(what: Any, got: Any, expected: Any) -> None:
        if got != expected:
            wrong.append(f"{what}: got {got!r}, expected {expected!r}")

    param = {"requisition": "requisition_id", "client": "client_id"}
    for (kind, value), expected in truth["slices"].items():
        params = {} if kind == "all" else {param.get(kind, kind): value}
        funnel = (await agency.client.get("/api/v1/analytics/funnel", params=params)).json()
        check((kind, value, "current"), _nonzero(funnel["current"]), dict(expected["current"]))
        check((kind, value, "reached"), _nonzero(funnel["reached"]), dict(expected["reached"]))
        kpis = (await agency.client.get("/api/v1/analytics/kpis", params=params)).json()
        stays = {stage: _summary(v) for stage, v in expected["stays"].items() if v}
        check((kind, value, "time_in_stage"), kpis["time_in_stage"], stays)

    kpis = (await agency.client.get("/api/v1/analytics/kpis")).json()
    check("time_to_submit", kpis["time_to_submit"], truth["time_to_submit"])
    check("time_to_fill", kpis["time_to_fill"], truth["time_to_fill"])
    check("requisitions", kpis["requisitions"], dict(truth["requisitions"]))

    activity = (await agency.client.get("/api/v1/analytics/activity")).json()
    check("hourly", activity["hourly"], {h: dict(c) for h, c in truth["hourly"].items()})

    board = (await agency.client.get("/api/v1/analytics/leaderboard")).json()
    rows = {r["recruiter"]: r for r in board["recruiters"]}
    for (_, recruiter), counts in truth["board"].items():
        row = rows.get(recruiter, {})
        for kind in ("submissions", "interviews", "placements"):
            check((recruiter, kind), row.get(kind), counts[kind])
        margin = {k.split(":")[1]: f"{v / 100:.2f}" for k, v in counts.items() if ":" in k}
        check((recruiter, "margin"), row.get("margin"), margin)

    sources = (await agency.client.get("/api/v1/analytics/sources")).json()["items"]
    by_name = {s["source"]: s for s in sources}
    for name, counts in truth["sources"].items():
        for step in ("candidates", "submitted", "interviewed", "placed"):
            check((name, step), by_name.get(name, {}).get(step), counts[step])
    return wrong
