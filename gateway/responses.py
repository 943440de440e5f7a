"""Turning a command's outcome into the REST answer API.md promises."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from core import jsoncodec
from core.errors import RTError, error_from_dict
from gateway import server_timing
from gateway.admission import arrived_at
from topics.envelopes import CommandOutcome

COMMANDS_PATH = "/api/v1/commands"


class CommandAccepted(BaseModel):
    """A write published and not yet applied: ask `status_url` what became of it."""

    command_id: UUID
    status_url: str = Field(description="`GET` it for `accepted`, `applied` or `rejected`")


# The 202 every write may answer (with `Prefer: respond-async`, or past the wait).
ACCEPTED: dict[str, Any] = {
    "description": "Accepted, not yet applied: poll `status_url` (also in `Location`)",
    "headers": {
        "Location": {
            "description": "The command's status URL",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/CommandAccepted"},
            "example": {
                "command_id": "9a0c3c55-5a55-4a8e-8a8e-0b2f6f1e6b11",
                "status_url": f"{COMMANDS_PATH}/9a0c3c55-5a55-4a8e-8a8e-0b2f6f1e6b11",
            },
        }
    },
    "links": {
        "CommandStatus": {
            "operationId": "command_status",
            "parameters": {"command_id": "$response.body#/command_id"},
            "description": "What became of the command",
        }
    },
}


class CompactJSON(JSONResponse):
    """The same compact UTF-8 JSON as JSONResponse, written by orjson (core/jsoncodec.py):
    a write's 201 body is on the interactive path, and the standard library's encoder took
    several times as long for it."""

    def render(self, content: Any) -> bytes:
        return jsoncodec.dumps(content)


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` names (`"3"` or `W/"3"`); None for no header, an empty
    one (RFC 9110's list of no tags) or `*`."""
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise BadPrecondition(
            f"If-Match must be an ETag this API issued, such as '\"3\"', not {if_match!r}"
        )
    return int(tag)


class BadPrecondition(RTError):
    code = "bad_if_match"
    status = 400
    title = "Bad If-Match"


def wants_async(prefer: str | None) -> bool:
    return bool(prefer) and "respond-async" in (prefer or "").lower()


def accepted_response(outcome: CommandOutcome) -> JSONResponse:
    status_url = f"{COMMANDS_PATH}/{outcome.command_id}"
    return JSONResponse(
        {"command_id": str(outcome.command_id), "status_url": status_url},
        status_code=202,
        headers={
            "Location": status_url,
            "Preference-Applied": "respond-async",
            server_timing.HEADER: server_timing.header(arrived_at()),
        },
    )


def no_content_response(outcome: CommandOutcome) -> Response:
    """The answer to a removal: 204 once applied, 202 while pending, the error if refused."""
    if outcome.status == "accepted":
        return accepted_response(outcome)
    if outcome.status == "rejected":
        raise error_from_dict(outcome.error or {})
    return Response(
        status_code=204, headers={server_timing.HEADER: server_timing.header(arrived_at())}
    )


async def outcome_response(
    outcome: CommandOutcome,
    load: Callable[[UUID], Awaitable[Any]],
    *,
    created_location: str | None = None,
) -> JSONResponse:
    """202 while pending, the mapped problem when rejected, the resource once applied."""
    if outcome.status == "accepted":
        return accepted_response(outcome)
    if outcome.status == "rejected":
        raise error_from_dict(outcome.error or {"message": "the command was rejected"})
    assert outcome.resource_id is not None
    if outcome.resource is not None:
        body: Any = outcome.resource
    else:
        with server_timing.timed("read"):
            resource = await load(outcome.resource_id)
        body = resource.model_dump(mode="json") if isinstance(resource, BaseModel) else resource
    headers = {server_timing.HEADER: server_timing.header(arrived_at())}
    if isinstance(body, dict) and "version" in body:
        headers["ETag"] = etag_for(int(body["version"]))
    if created_location is not None:
        headers["Location"] = f"{created_location}/{outcome.resource_id}"
        return CompactJSON(body, status_code=201, headers=headers)
    return CompactJSON(body, status_code=200, headers=headers)
