"""`candidate.create_batch` against the running system: rows applied or refused alone, a
redelivered batch applied once, and followers that see one `candidate.created` each."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest

from app.jobs.imports.runner import batch_id_for
from app.jobs.integrations import IntegrationCredentials
from app.jobs.sending import CommandSender
from core.clock import utcnow
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually, send_as_integration, tail_topic
from tests.e2e.test_webhooks import add_webhook, admin, receiving
from topics.batches import row_command_id
from topics.candidates import CANDIDATE_CREATE_BATCH
from topics.envelopes import Actor, CommandEnvelope, CommandOutcome
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS, integrations_dlq

pytestmark = pytest.mark.stack


def _batch(tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=batch_id_for(tenant_id, uuid.uuid4().hex, rows[0]["row"]),
        type=CANDIDATE_CREATE_BATCH,
        tenant_id=tenant_id,
        actor=Actor(id="import", kind="system"),
        issued_at=utcnow(),
        reply=False,
        payload={"rows": rows},
    )


def _row(line: int, **fields: Any) -> dict[str, Any]:
    return {**candidate_body(**fields), "candidate_id": str(uuid.uuid4()), "row": line}


async def _send_and_wait(system: System, batch: CommandEnvelope) -> CommandOutcome:
    """Send as the importer does (sealed, as the jobs principal) and wait for the outcome."""
    topic = CANDIDATE_COMMANDS.name(system.settings.topic_namespace)
    async with CommandSender(system.settings, poll_seconds=0.2) as sender:
        await sender.send(topic, batch.command_id, batch)
        await sender.flush()
        async for found in sender.batch_outcomes(batch.tenant_id, [batch.command_id], timeout=60):
            if batch.command_id in found:
                return found[batch.command_id]
    raise AssertionError("no outcome")


async def _candidate(agency: Agency, candidate_id: str) -> dict[str, Any] | None:
    r = await agency.client.get(f"/api/v1/candidates/{candidate_id}")
    return dict(r.json()) if r.status_code == 200 else None


async def test_a_bad_row_is_refused_alone_and_a_redelivered_batch_applies_once(
    system: System, agency: Agency
) -> None:
    rows = [_row(2), _row(3, emails=["not an email"]), _row(5)]
    rows.append(_row(9, emails=rows[0]["emails"]))  # a duplicate of line 2, in the batch
    batch = _batch(agency.tenant_id, rows)
    events = await tail_topic(
        system.settings, CANDIDATE_EVENTS.name(system.settings.topic_namespace)
    )
    try:
        outcome = await _send_and_wait(system, batch)
        assert outcome.batch is not None
        assert (outcome.batch.rows, outcome.batch.applied) == (4, 2)
        refused = {r.row: r for r in outcome.batch.refused}
        assert set(refused) == {3, 9}
        assert refused[3].code == "invalid"
        assert "email" in refused[3].message
        assert refused[9].code == "duplicate"
        assert refused[9].duplicate_of == rows[0]["candidate_id"]
        for row in (rows[0], rows[2]):
            found = await _candidate(agency, row["candidate_id"])
            assert found is not None
            assert found["first_name"] == "Ada"
        assert await _candidate(agency, rows[1]["candidate_id"]) is None

        # The same batch again (a redelivery, or the import run again): nothing changes,
        # and the outcome is the same.
        again = await _send_and_wait(system, batch)
        assert again.batch == outcome.batch
        listed = (await agency.client.get("/api/v1/candidates", params={"limit": 50})).json()
        assert sorted(c["id"] for c in listed["items"]) == sorted(
            [rows[0]["candidate_id"], rows[2]["candidate_id"]]
        )
        assert {c["version"] for c in listed["items"]} == {1}

        # Each delivery emitted one batch event: the same one, carrying the two creates,
        # each sealed with its own person's key and caused by its row's own command id.
        records: list[Any] = []

        async def two_batch_events() -> list[Any] | None:
            got = await events.getmany(timeout_ms=500)
            records.extend(r for rs in got.values() for r in rs if r.value)
            ours = [orjson.loads(r.value) for r in records]
            ours = [e for e in ours if e["aggregate_id"] == str(batch.command_id)]
            return ours if len(ours) >= 2 else None

        emitted = await eventually(two_batch_events, timeout=20, what="the batch events")
    finally:
        await events.stop()
    assert {e["type"] for e in emitted} == {"candidate.created_batch"}
    assert len({e["event_id"] for e in emitted}) == 1
    members = emitted[0]["data"]["events"]
    assert [m["aggregate_id"] for m in members] == [
        rows[0]["candidate_id"],
        rows[2]["candidate_id"],
    ]
    assert [m["caused_by"] for m in members] == [
        str(row_command_id(batch.command_id, 2)),
        str(row_command_id(batch.command_id, 5)),
    ]
    assert all(m["data"]["last_name"].startswith("rt1:") for m in members)
    assert members[0]["subject_id"] == rows[0]["candidate_id"]


async def test_a_batch_s_followers_see_one_created_event_per_candidate(system: System) -> None:
    async with admin(system) as agency, receiving() as receiver:
        await add_webhook(agency, receiver.url, ["candidate.created"])
        _, start = await _feed(agency, None)
        rows = [_row(line, last_name=f"Batchling{uuid.uuid4().hex[:8]}") for line in (2, 3, 4)]
        outcome = await _send_and_wait(system, _batch(agency.tenant_id, rows))
        assert outcome.batch is not None
        assert outcome.batch.applied == 3
        wanted = {row["candidate_id"] for row in rows}

        for row in rows:

            async def searchable(name: str = row["last_name"]) -> bool:
                found = await agency.client.get("/api/v1/search/candidates", params={"q": name})
                return bool(found.json()["items"])

            await eventually(searchable, timeout=30, what=f"{row['last_name']} searchable")

        async def fed() -> list[Any] | None:
            items, _ = await _feed(agency, start)
            created = [i for i in items if i["type"] == "candidate.created"]
            return created if {i["resource_id"] for i in created} >= wanted else None

        created = await eventually(fed, timeout=30, what="three creates in the changes feed")
        assert sorted(i["resource_id"] for i in created) == sorted(wanted)
        assert not any(i["type"].endswith("_batch") for i in (await _feed(agency, start))[0])

        async def delivered() -> list[Any] | None:
            got = [r.json() for r in receiver.delivered()]
            return got if len(got) >= 3 else None

        bodies = await eventually(delivered, timeout=30, what="three webhook deliveries")
        await asyncio.sleep(2)  # nothing more comes
        bodies = [r.json() for r in receiver.delivered()]
        assert sorted(b["data"]["aggregate_id"] for b in bodies) == sorted(wanted)
        assert {b["type"] for b in bodies} == {"candidate.created"}
        assert {b["data"]["data"]["first_name"] for b in bodies} == {"Ada"}  # opened


async def _feed(agency: Agency, cursor: str | None) -> tuple[list[Any], str]:
    items: list[Any] = []
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        body = (await agency.client.get("/api/v1/changes", params=params)).json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if len(body["items"]) < 100:
            return items, cursor


async def test_an_integration_may_not_send_a_batch(
    system: System, agency: Agency, job_board: IntegrationCredentials
) -> None:
    dlq = await tail_topic(system.settings, integrations_dlq(system.settings.topic_namespace))
    rows = [_row(1)]
    batch = _batch(agency.tenant_id, rows)
    try:
        await send_as_integration(job_board, batch, key="batch")

        async def refused() -> dict[str, Any] | None:
            r = await agency.client.get(f"/api/v1/commands/{batch.command_id}")
            body: dict[str, Any] = r.json()
            return body if r.status_code == 200 and body["status"] == "rejected" else None

        outcome = await eventually(refused, timeout=30, what="the batch refused")
        assert outcome["error"]["code"] == "unknown_command"
        records: list[Any] = []
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline and not records:
            got = await dlq.getmany(timeout_ms=500)
            ours = str(batch.command_id).encode()
            records.extend(r for rs in got.values() for r in rs if ours in (r.value or b""))
        assert records, "the refusal is not in the integrations' DLQ"
        assert dict(records[0].headers)["reason"].decode().startswith("unknown_command")
    finally:
        await dlq.stop()
    assert await _candidate(agency, rows[0]["candidate_id"]) is None
