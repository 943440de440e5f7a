"""Ledger rows for what became of each command, written in the same transaction as its effect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from agents.context import Applied, Result
from topics.envelopes import CommandEnvelope


def ledger_row(
    command: CommandEnvelope,
    result: Result,
    dumped: Mapping[UUID, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ledger row of a command; `dumped` has events already turned into JSON-ready
    dicts by event id (an import's batch event carries the same dicts: made once)."""
    applied = isinstance(result, Applied)
    dumped = dumped or {}
    return {
        "command_id": command.command_id,
        "tenant_id": command.tenant_id,
        "type": command.type,
        "status": "applied" if applied else "rejected",
        "resource_id": result.resource_id if isinstance(result, Applied) else None,
        "error": None if isinstance(result, Applied) else result.as_dict(),
        "events": [dumped.get(e.event_id) or e.model_dump(mode="json") for e in result.events]
        if isinstance(result, Applied)
        else [],
    }
