"""How an integration learns that a command it sent was refused: a `command.rejected`
event on its agency's topic (the only topic it may read)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from core.clock import utcnow
from topics.envelopes import Actor, CommandEnvelope, EventEnvelope
from topics.integrations import COMMAND_REJECTED, CommandRejected
from topics.names import agency_events

Message = tuple[str, bytes, bytes | None, list[tuple[str, bytes]] | None]
"""(topic, key, value, headers), as the processor's publisher takes it."""

GATE = Actor(id="integration-gate", kind="system")


def integration_id_of(command: CommandEnvelope) -> UUID | None:
    """The integration that sent the command (None: a person, a job, another agent)."""
    if command.actor.kind != "integration":
        return None
    try:
        return UUID(command.actor.id)
    except ValueError:
        return None


def rejected_message(
    namespace: str,
    tenant_id: UUID,
    integration_id: UUID,
    command_id: UUID,
    command_type: str,
    error: dict[str, Any],
) -> Message:
    """The `command.rejected` event for the agency's topic, keyed by the command id."""
    data = CommandRejected(
        command_id=command_id, type=command_type, integration_id=integration_id, error=error
    )
    event = EventEnvelope(
        event_id=uuid.uuid5(command_id, f"{COMMAND_REJECTED}:{tenant_id}"),
        type=COMMAND_REJECTED,
        tenant_id=tenant_id,
        aggregate_id=command_id,
        version=0,
        occurred_at=utcnow(),
        caused_by=command_id,
        actor=GATE,
        data=data.model_dump(mode="json"),
    )
    return (
        agency_events(tenant_id, namespace),
        str(command_id).encode(),
        event.model_dump_json().encode(),
        [("event_type", COMMAND_REJECTED.encode())],
    )
