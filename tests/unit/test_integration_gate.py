"""The gate's verdict on every command an integration may send, for every role: the same
matrix the gateway asks, whatever the message claims."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, cast

import pytest

from agents.integrations.gate import IntegrationGate, Refusal, judge
from agents.integrations.registry import Integration
from domain.permissions import INTEGRATION_ROLES, PERMISSIONS, allowed
from topics.catalog import COMMAND_PERMISSIONS, INTERNAL_COMMANDS, command_topic_of
from topics.envelopes import Actor, CommandEnvelope

TENANT = uuid.uuid4()


def _integration(role: str, scopes: frozenset[str] = frozenset(PERMISSIONS)) -> Integration:
    return Integration(uuid.uuid4(), TENANT, role, scopes)


def _command(type: str, tenant: uuid.UUID = TENANT) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type=type,
        tenant_id=tenant,
        actor=Actor(id="someone-important", kind="user"),
        payload={},
    )


@pytest.mark.parametrize("role", INTEGRATION_ROLES)
@pytest.mark.parametrize("command_type", sorted(COMMAND_PERMISSIONS))
def test_each_command_for_each_role(role: str, command_type: str) -> None:
    integration = _integration(role)
    verdict = judge(integration, _command(command_type), "rt")
    if allowed(role, COMMAND_PERMISSIONS[command_type]):
        assert not isinstance(verdict, Refusal)
        trusted, topic = verdict
        spec = command_topic_of(command_type)
        assert spec is not None
        assert topic == spec.name("rt")
        # The integration is the actor, whatever the message claimed.
        assert trusted.actor == Actor(id=str(integration.id), kind="integration")
        assert trusted.tenant_id == TENANT
    else:
        assert isinstance(verdict, Refusal)
        assert verdict.code == "forbidden"


def test_scopes_narrow_the_role() -> None:
    reader = _integration("recruiter", frozenset({"candidates:read"}))
    verdict = judge(reader, _command("candidate.create"), "rt")
    assert isinstance(verdict, Refusal)
    assert "candidates:write" in verdict.message


def test_another_agency_is_refused_whatever_the_role() -> None:
    verdict = judge(_integration("recruiter"), _command("candidate.create", uuid.uuid4()), "rt")
    assert isinstance(verdict, Refusal)
    assert verdict.code == "wrong_agency"


@pytest.mark.parametrize("command_type", [*sorted(INTERNAL_COMMANDS), "candidate.explode"])
def test_internal_and_unknown_commands_are_refused(command_type: str) -> None:
    verdict = judge(_integration("recruiter"), _command(command_type), "rt")
    assert isinstance(verdict, Refusal)
    assert verdict.code == "unknown_command"


class _NoIntegrations:
    """A registry that knows no integration: revoked, or never made."""

    async def active(self, integration_id: uuid.UUID) -> Integration | None:
        return None


async def test_what_no_person_can_be_named_for_is_not_kept_in_the_clear() -> None:
    """A message from a revoked integration, or one that is no command, cannot be sealed
    with anyone's key: the DLQ keeps its size and digest, not the body, and the sender's
    key only as a digest unless it is an id."""
    gate = IntegrationGate(
        cast(Any, _NoIntegrations()),
        cast(Any, None),
        cast(Any, None),
        cast(Any, None),
        namespace="rt",
    )
    body = b'{"payload": {"emails": ["ada@example.com"], "first_name": "Ada"}}'
    topic = f"rt.integrations.{uuid.uuid4()}.commands"
    [(dlq, key, value, headers)] = await gate._one(topic, b"ada@example.com", body, [])
    assert dlq == "rt.integrations-refused.dlq"
    assert b"ada" not in value.lower()
    assert b"ada" not in key.lower()
    kept = json.loads(value)
    assert kept == {"dropped": True, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert dict(headers)["reason"].startswith(b"unknown_integration")
    # An id as the key is what it is.
    candidate = str(uuid.uuid4()).encode()
    [(_, key, _, _)] = await gate._one(topic, candidate, body, [])
    assert key == candidate
