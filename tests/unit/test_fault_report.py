"""The fault suite's arithmetic: what counts as lost, applied twice, told late, recovered."""

from __future__ import annotations

import uuid

from tests.faults.audit import CandidateRow, LedgerRow, Record, StoreView, doubled_events
from tests.faults.load import HttpCommand, TopicCommand, create_envelope, update_envelope
from tests.faults.report import Outage, ScenarioResult, tally

T0 = 1_000_000.0


def _row(version: int = 1, at: float = T0) -> CandidateRow:
    return CandidateRow(uuid.uuid4(), version, at, at)


def test_lost_ghost_and_late_answers_are_counted() -> None:
    applied = HttpCommand(0, "a@x", T0, T0 + 0.1, 202, str(uuid.uuid4()))
    lost = HttpCommand(1, "b@x", T0, T0 + 0.1, 202, str(uuid.uuid4()))
    refused_fast = HttpCommand(2, "c@x", T0, T0 + 1.0, 503)
    refused_late = HttpCommand(3, "d@x", T0, T0 + 12.0, 503)
    unanswered_but_applied = HttpCommand(4, "e@x", T0, T0 + 30.0, None)
    view = StoreView(rows={"a@x": [_row()], "e@x": [_row()]})
    result = ScenarioResult("s", "s")
    commands = [applied, lost, refused_fast, refused_late, unanswered_but_applied]
    tally(result, view, commands, load_seconds=5)

    assert (result.sent, result.accepted, result.applied, result.lost) == (5, 2, 1, 1)
    assert (result.failed, result.told_within_5s, result.refused_yet_applied) == (3, 1, 1)
    assert result.evidence["lost_why"] == {"no ledger row": 1}
    assert "1 lost" in result.missed()


def test_a_version_past_the_commands_sent_is_applied_twice() -> None:
    tenant = uuid.uuid4()
    create = create_envelope(tenant, "t@x", 0)
    key = str(create.payload["candidate_id"])
    update = update_envelope(tenant, key, 0)
    sent = [
        TopicCommand(create, key, "t@x", T0, T0, 0, 1),
        TopicCommand(update, key, None, T0, T0, 0, 2),
    ]
    ledger = {str(update.command_id): LedgerRow("applied", None, T0)}
    result = ScenarioResult("s", "s")
    tally(result, StoreView({"t@x": [_row(version=3)]}, ledger), topic=sent, load_seconds=1)
    assert result.applied == 2
    assert result.applied_twice == 1

    fine = ScenarioResult("s", "s")
    tally(fine, StoreView({"t@x": [_row(version=2)]}, ledger), topic=sent, load_seconds=1)
    assert fine.applied_twice == 0
    assert not fine.missed()


def test_recovery_is_when_commands_apply_again_after_the_return() -> None:
    before = HttpCommand(0, "a@x", T0, T0 + 0.1, 202, "x")
    after = HttpCommand(1, "b@x", T0 + 10, T0 + 10.1, 202, "y")
    view = StoreView(rows={"a@x": [_row(at=T0 + 14)], "b@x": [_row(at=T0 + 21.5)]})
    result = ScenarioResult("s", "s", outages=[Outage("kafka", T0 + 1, T0 + 9)])
    tally(result, view, [before, after], load_seconds=10)
    # The backlog applies 5 s after the return; a command sent after it, 12.5 s after.
    assert result.recovery_seconds == 5.0
    assert result.outages[0].notes["new_command_applied_after_seconds"] == 12.5
    assert result.outages[0].notes["longest_pause_in_applying_seconds"] == 13.0
    assert not result.missed()


def test_no_recovery_when_no_command_sent_after_the_return_applies() -> None:
    before = HttpCommand(0, "a@x", T0, T0 + 0.1, 202, "x")
    after = HttpCommand(1, "b@x", T0 + 10, T0 + 10.1, 202, "y")
    view = StoreView(rows={"a@x": [_row(at=T0 + 14)]})
    result = ScenarioResult("s", "s", outages=[Outage("kafka", T0 + 1, T0 + 9)])
    tally(result, view, [before, after], load_seconds=10)
    assert result.recovery_seconds is None
    assert "kafka: no recovery seen" in result.missed()


def test_a_second_event_id_for_one_version_is_a_double_application() -> None:
    tenant, aggregate = uuid.uuid4(), uuid.uuid4()

    def event(event_id: str, version: int) -> Record:
        value = (
            f'{{"event_id": "{event_id}", "tenant_id": "{tenant}", "type": "candidate.created",'
            f' "aggregate_id": "{aggregate}", "version": {version}}}'
        ).encode()
        return Record(0, 0, None, value, {})

    replayed = doubled_events([event("e1", 1), event("e1", 1)], tenant)
    assert (replayed["doubled"], replayed["redelivered_copies"]) == (0, 1)
    assert doubled_events([event("e1", 1), event("e2", 1)], tenant)["doubled"] == 1
