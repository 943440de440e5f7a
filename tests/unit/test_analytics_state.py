"""The analytics sums: any order, any repetition, a rebuild from the tables, all agree."""

from __future__ import annotations

import contextlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from agents.analytics.agent import forwarded, read_chunk
from agents.analytics.state import AnalyticsState, MemoryTable
from domain.analytics.model import ALL, FORWARD, Aggregates
from domain.analytics.views import leaderboard_view, slice_view, sources_view
from topics.envelopes import Actor, EventEnvelope

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TENANT = uuid.uuid4()


def _event(kind: str, aggregate: str, version: int, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type=kind,
        tenant_id=TENANT,
        aggregate_id=uuid.UUID(aggregate),
        version=version,
        occurred_at=T0,
        caused_by=uuid.uuid4(),
        actor=Actor(id="r1"),
        data=data,
    )


def _workload(rng: random.Random) -> list[EventEnvelope]:
    events: list[EventEnvelope] = []
    reqs = [str(uuid.uuid4()) for _ in range(3)]
    clients = [str(uuid.uuid4()) for _ in range(2)]
    for i, rid in enumerate(reqs):
        base = {
            "id": rid,
            "tenant_id": str(TENANT),
            "client_id": clients[i % 2],
            "priority": "hot",
            "opened_at": T0.isoformat(),
        }
        events.append(
            _event("requisition.created", rid, 1, {**base, "status": "open", "version": 1})
        )
        if i == 0:
            filled = (T0 + timedelta(days=9)).isoformat()
            events.append(
                _event(
                    "requisition.status_changed",
                    rid,
                    2,
                    {**base, "status": "filled", "filled_at": filled, "version": 2},
                )
            )
    cands = [str(uuid.uuid4()) for _ in range(5)]
    for j, cid in enumerate(cands):
        for version, source in ((1, "referral"), (2, ["linkedin", "referral", None][j % 3])):
            data = {"id": cid, "tenant_id": str(TENANT), "source": source, "version": version}
            events.append(_event("candidate.updated", cid, version, data))
    path = list(FORWARD)
    for k in range(12):
        sid = str(uuid.uuid4())
        rid, cid = reqs[k % 3], cands[k % 5]
        stop = rng.randrange(1, len(path) + 1)
        at = T0 + timedelta(hours=k)
        history: list[dict[str, Any]] = []
        previous = None
        for step, stage in enumerate(path[:stop]):
            at += timedelta(hours=rng.randrange(1, 60))
            history.append(
                {"from": previous, "to": stage, "at": at.isoformat(), "actor": f"user:r{k % 2}"}
            )
            previous = stage
            snapshot = {
                "id": sid,
                "tenant_id": str(TENANT),
                "candidate_id": cid,
                "requisition_id": rid,
                "stage": stage,
                "history": list(history),
                "version": step + 1,
            }
            kind = "submission.created" if step == 0 else "submission.stage_changed"
            events.append(_event(kind, sid, step + 1, snapshot))
        if path[stop - 1] == "placed":
            placement = {
                "id": str(uuid.uuid4()),
                "submission_id": sid,
                "currency": "EUR",
                "margin": "25.50",
                "created_at": at.isoformat(),
            }
            events.append(_event("placement.created", sid, 1, placement))
    return events


def _views(agg: Aggregates) -> dict[str, Any]:
    out = {f"slice|{k}|{v}": slice_view(t) for (k, v), t in agg.slices.items() if not t.empty()}
    totals = agg.slices[ALL]
    out["leaderboard"] = leaderboard_view(totals)
    out["sources"] = sources_view(totals)
    return out


def _fresh() -> AnalyticsState:
    return AnalyticsState(MemoryTable(), MemoryTable(), MemoryTable())


def test_any_order_and_repetition_give_the_same_sums() -> None:
    rng = random.Random(11)
    events = _workload(rng)
    in_order = _fresh()
    for e in events:
        in_order.apply(e, 0)
    expected = _views(in_order.tenants[str(TENANT)])
    assert expected["slice|all|"]["funnel"]["current"]["sourced"] >= 0
    assert sum(expected["slice|all|"]["funnel"]["current"].values()) == 12

    for trial in range(5):
        shuffled = events + rng.sample(events, 15)
        rng.shuffle(shuffled)
        state = _fresh()
        for e in shuffled:
            state.apply(e, 0)
        assert _views(state.tenants[str(TENANT)]) == expected, trial


def test_a_rebuild_from_the_tables_gives_the_same_sums() -> None:
    events = _workload(random.Random(5))
    subs, reqs, cands = MemoryTable(), MemoryTable(), MemoryTable()
    state = AnalyticsState(subs, reqs, cands)
    for i, e in enumerate(events):
        state.apply(e, 2)
        if i % 7 == 0:
            state.write_tables()  # batches end anywhere
    state.write_tables()
    expected = _views(state.tenants[str(TENANT)])

    recovered = AnalyticsState(MemoryTable(subs), MemoryTable(reqs), MemoryTable(cands))
    recovered.rebuild({2})
    assert _views(recovered.tenants[str(TENANT)]) == expected
    # A partition this worker does not hold contributes nothing.
    elsewhere = AnalyticsState(MemoryTable(subs), MemoryTable(reqs), MemoryTable(cands))
    elsewhere.rebuild({0, 1})
    assert elsewhere.tenants == {}


def test_sums_agree_with_counting_by_hand() -> None:
    events = _workload(random.Random(3))
    state = _fresh()
    for e in events:
        state.apply(e, 0)
    view = _views(state.tenants[str(TENANT)])["slice|all|"]
    latest: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.type.startswith("submission."):
            latest[str(e.aggregate_id)] = e.data
    stages = [d["stage"] for d in latest.values()]
    for stage in set(stages):
        assert view["funnel"]["current"][stage] == stages.count(stage)
    reached_submitted = sum(
        1 for d in latest.values() if any(h["to"] == "submitted" for h in d["history"])
    )
    assert view["funnel"]["reached"]["submitted"] == reached_submitted
    assert view["time_to_fill"]["count"] == 1
    assert view["time_to_fill"]["mean_hours"] == 9 * 24


def test_a_bad_event_changes_nothing() -> None:
    events = _workload(random.Random(9))
    state = _fresh()
    for e in events:
        state.apply(e, 0)
    before = _views(state.tenants[str(TENANT)])
    sub = next(e for e in events if e.type == "submission.created")
    unreadable = {"submission_id": str(sub.aggregate_id), "margin": "lots", "created_at": "x"}
    assert (
        state.apply(_event("placement.created", str(sub.aggregate_id), 1, unreadable), 0) is False
    )
    for broken in ({"id": str(uuid.uuid4())}, {"history": "none"}):
        # The agent logs and skips what raises these.
        with contextlib.suppress(KeyError, TypeError, ValueError):
            state.apply(_event("submission.stage_changed", str(uuid.uuid4()), 9, broken), 0)
    assert _views(state.tenants[str(TENANT)]) == before


def test_candidates_are_read_from_the_table_through_a_bounded_cache() -> None:
    """A million candidates must not mean a million records in memory: with room for one,
    every other is read back from its table, and the sums are the same."""
    rng = random.Random(17)
    events = _workload(rng)
    roomy = _fresh()
    for e in events:
        roomy.apply(e, 0)
    expected = _views(roomy.tenants[str(TENANT)])

    shuffled = events + rng.sample(events, 15)
    rng.shuffle(shuffled)
    cands = MemoryTable()
    tight = AnalyticsState(MemoryTable(), MemoryTable(), cands, candidate_cache_size=1)
    for i, e in enumerate(shuffled):
        tight.apply(e, 0)
        if i % 3 == 0:
            tight.write_tables()  # some reads find the record pending, most in the table
        assert len(tight.cands) <= 1
    tight.write_tables()
    assert _views(tight.tenants[str(TENANT)]) == expected
    assert len(cands) == 5  # every candidate's record is in the table


def _with_personal_data(event: EventEnvelope) -> EventEnvelope:
    """The event as our agents emit it: personal fields beside those the metrics read."""
    data = dict(event.data)
    if event.type.startswith("candidate."):
        data.update(full_name="Ada Lovelace", emails=["ada@example.org"], resume_text="x")
    elif event.type.startswith("submission."):
        data["history"] = [{**h, "reason": "rt1:Ada-said-no"} for h in data["history"]]
        data["notes"] = "Ada Lovelace prefers remote"
    elif event.type == "placement.created":
        data["end_reason"] = "rt1:Ada-left"
    return event.model_copy(update={"data": data})


def test_routed_events_give_the_same_sums_and_carry_no_personal_data() -> None:
    """What the router forwards, as single events or inside an import's batch event, gives
    the metrics the same sums as the events themselves, and no one's personal data."""
    events = [_with_personal_data(e) for e in _workload(random.Random(23))]
    direct = _fresh()
    for e in events:
        direct.apply(e, 0)
    singles = [orjson.dumps(e.model_dump(mode="json")) for e in events]
    batch = EventEnvelope(
        event_id=uuid.uuid4(),
        type="candidate.created_batch",
        tenant_id=TENANT,
        aggregate_id=uuid.uuid4(),
        version=0,
        occurred_at=T0,
        caused_by=uuid.uuid4(),
        actor=Actor(id="importer"),
        data={"events": [e.model_dump(mode="json") for e in events if e.type.startswith("cand")]},
    )
    others = [v for e, v in zip(events, singles, strict=True) if not e.type.startswith("cand")]
    for values in (singles, [orjson.dumps(batch.model_dump(mode="json")), *others]):
        messages = forwarded(values, "by-tenant")
        assert messages
        routed = _fresh()
        for _topic, key, value, _headers in messages:
            assert key == str(TENANT).encode()
            assert value is not None
            for needle in (b"Ada", b"ada@example.org", b"resume_text", b"rt1:", b"reason"):
                assert needle not in value
            for envelope in read_chunk(value):
                routed.apply(envelope, 0)
        assert _views(routed.tenants[str(TENANT)]) == _views(direct.tenants[str(TENANT)])
