"""What an integration reads about its own commands on its agency's event topic."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from topics.records import Record

COMMAND_REJECTED = "command.rejected"


class CommandRejected(Record):
    """A command an integration sent was refused (by the gateway to Kafka, or by a rule);
    the event's `caused_by` is the command's id."""

    command_id: UUID
    type: str = Field(description="The command's type, as sent")
    integration_id: UUID
    error: dict[str, Any] = Field(
        description="`code` (wrong_agency, forbidden, unknown_command, invalid, duplicate, "
        "...), `message`, and fields of the error"
    )
