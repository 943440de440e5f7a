"""Only a job may date a command in the past: a REST caller cannot, and the worker refuses
a dated command that looks like the gateway's or an integration's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.jobs.sending import CommandSender
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, open_requisition, post_json
from topics.envelopes import Actor, CommandEnvelope
from topics.names import PIPELINE_COMMANDS

pytestmark = pytest.mark.stack

LAST_MONTH = datetime.now(UTC) - timedelta(days=30)


async def _submission(agency: Agency) -> dict[str, Any]:
    requisition = await open_requisition(agency, 1)
    candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
    return dict(
        await post_json(
            agency,
            "/api/v1/submissions",
            {"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
        )
    )


async def test_a_rest_caller_cannot_date_a_move(agency: Agency) -> None:
    submission = await _submission(agency)
    path = f"/api/v1/submissions/{submission['id']}/transitions"
    for field in ("occurred_at", "at"):
        response = await agency.client.post(
            path, json={"to": "screened", field: LAST_MONTH.isoformat()}
        )
        # Refused as an unknown field, or at least not honoured: the move is dated now.
        if response.status_code == 200:
            moved = response.json()["history"][-1]
            assert datetime.fromisoformat(moved["at"]) > datetime.now(UTC) - timedelta(minutes=5)
        else:
            assert response.status_code == 422, response.text
            assert field in response.json()["errors"]


async def test_the_worker_refuses_a_dated_command_from_the_gateway_or_an_integration(
    system: System, agency: Agency
) -> None:
    submission = await _submission(agency)
    me = (await agency.client.get("/api/v1/me")).json()
    soon = datetime.now(UTC) + timedelta(seconds=30)
    forged = {
        # What the gateway publishes for a REST caller: a deadline and the client's address.
        "gateway": dict(actor=Actor(id=me["id"], kind="user"), deadline=soon, address="10.1.2.3"),
        # What the gate forwards for an integration: its actor is the integration.
        "integration": dict(actor=Actor(id=str(uuid.uuid4()), kind="integration")),
    }
    settings = system.settings
    async with CommandSender(settings, poll_seconds=0.2) as sender:
        ids = {}
        for name, stamp in forged.items():
            envelope = CommandEnvelope(
                command_id=uuid.uuid4(),
                type="submission.transition",
                tenant_id=agency.tenant_id,
                occurred_at=LAST_MONTH,
                payload={"submission_id": submission["id"], "to": "screened"},
                **stamp,
            )
            ids[name] = envelope.command_id
            topic = PIPELINE_COMMANDS.name(settings.topic_namespace)
            await sender.send(topic, uuid.UUID(submission["id"]), envelope)
        await sender.flush()
        outcomes: dict[uuid.UUID, Any] = {}
        async for found in sender.outcomes(agency.tenant_id, ids.values(), timeout=60):
            outcomes.update(found)
    for name, command_id in ids.items():
        status, error = outcomes[command_id]
        assert status == "rejected", name
        assert error is not None
        assert error["code"] == "forbidden"
        assert "only a job" in error["message"]
    # Nothing moved.
    found = (await agency.client.get(f"/api/v1/submissions/{submission['id']}")).json()
    assert found["stage"] == "sourced"
    assert len(found["history"]) == 1
