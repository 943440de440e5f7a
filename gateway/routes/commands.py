"""The outcome of a command, for callers that chose `Prefer: respond-async`."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from core.errors import NotFound
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from topics.envelopes import OutcomeStatus

router = APIRouter(tags=["commands"])


class CommandStatus(BaseModel):
    command_id: UUID
    type: str
    status: OutcomeStatus
    resource_id: UUID | None = None
    error: dict[str, Any] | None = None


@router.get(
    "/commands/{command_id}",
    response_model=CommandStatus,
    response_model_exclude_none=True,
    summary="Command status",
    description=(
        "`accepted` until an agent has handled the command, then `applied` (with "
        "`resource_id`) or `rejected` (with `error.code` and `error.message`). Kept 24 h."
    ),
    responses=problems({404: "Unknown, expired, or another agency's command"}),
)
async def command_status(
    command_id: UUID, principal: Annotated[Principal, allow("commands:read")], stores: StoresDep
) -> CommandStatus:
    outcome = await stores.redis.get_outcome(principal.tenant_id, command_id)
    if outcome is None:
        raise NotFound(f"no command {command_id}")
    return CommandStatus(
        command_id=outcome.command_id,
        type=outcome.type,
        status=outcome.status,
        resource_id=outcome.resource_id,
        error=outcome.error,
    )
