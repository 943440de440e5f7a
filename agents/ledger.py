"""Ledger rows for what became of each command, written in the same transaction as its effect."""

from __future__ import annotations

from typing import Any

from agents.context import Applied, Result
from topics.envelopes import CommandEnvelope


def ledger_row(command: CommandEnvelope, result: Result) -> dict[str, Any]:
    applied = isinstance(result, Applied)
    return {
        "command_id": command.command_id,
        "tenant_id": command.tenant_id,
        "type": command.type,
        "status": "applied" if applied else "rejected",
        "resource_id": result.resource_id if isinstance(result, Applied) else None,
        "error": None if isinstance(result, Applied) else result.as_dict(),
        "events": [e.model_dump(mode="json") for e in result.events]
        if isinstance(result, Applied)
        else [],
    }
