"""The error answers the OpenAPI document promises: one problem+json schema, one helper.

Every error the gateway sends is `application/problem+json` (RFC 9457, written by
`gateway/problems.py`), so every error a route documents is too, with the `Problem`
schema below. A route names the errors that follow from what it does (`problems({404:
"No such candidate in your agency"})`); the ones that follow from its shape (a caller
to authenticate, a permission, parameters, a body, a command to publish) are added by
`gateway/openapi.py` to every route that has that shape, so none can be forgotten.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

Responses = dict[int | str, dict[str, Any]]

PROBLEM_REF = "#/components/schemas/Problem"


class Problem(BaseModel):
    """An error (RFC 9457 problem details). Members beyond the four standard ones say
    more about some errors: `errors` for invalid fields (400, 422), `position` for a
    search query, `field` for the input at fault, `duplicate_of`, `legal` moves, the
    `limit` a resume broke."""

    # Extension members are open-ended: a client must ignore the ones it does not know.
    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A URI naming the kind of problem; its last segment is a stable code",
        examples=[f"{TYPE_BASE}invalid"],
    )
    title: str = Field(description="The kind of problem, for people")
    status: int = Field(ge=400, le=599, description="The HTTP status, repeated")
    detail: str = Field(description="What went wrong this time, and what to change")
    errors: dict[str, str] | None = Field(
        default=None, description="Invalid fields (400, 422): the field's path → what is wrong"
    )
    position: int | None = Field(
        default=None, ge=1, description="Where a search query breaks (a character, from 1)"
    )
    field: str | None = Field(default=None, description="The input at fault")
    duplicate_of: UUID | None = Field(
        default=None, description="The record that already holds this (409 duplicate)"
    )
    legal: list[str] | None = Field(
        default=None, description="The moves allowed from here (409 illegal stage move)"
    )
    limit: str | None = Field(default=None, description="The limit a resume broke (422)")
    permission: str | None = Field(default=None, description="The permission needed (403)")


# What each status means on any route; a route may say more for its own.
MEANINGS: dict[int, str] = {
    400: "A malformed request: a body that is not a JSON object of the expected shape, or "
    "a bad `If-Match`, query or cursor",
    401: "No credentials, or an expired, revoked or unknown token or API key",
    403: "Your role (or your API key's scopes) lacks the permission this route needs",
    404: "Not found in your agency",
    409: "A conflict with the record's current state",
    410: "The person this write is about was erased: their data can no longer be written",
    412: "`If-Match` names an older version: read the resource again",
    413: "The request body is larger than the gateway's limit",
    415: "A file of a kind this route does not take",
    422: "Invalid fields; `errors` names each",
    429: "Too many requests: wait the seconds in `Retry-After`",
    503: (
        "A data store, the broker or the gateway is unavailable or overloaded: "
        "retry after `Retry-After`"
    ),
}

CODES: dict[int, str] = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "subject_erased",
    412: "version_mismatch",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}

EXAMPLE_DETAILS: dict[int, str] = {
    400: "The request body is not a JSON object of the expected shape.",
    401: "Send `Authorization: Bearer <access token>` (users) or `X-API-Key` (integrations).",
    403: "the role 'viewer' may not 'candidates:write'",
    404: "no candidate 0b8e4f0e-7d0c-4f55-9a43-5f0b4bb0c0de",
    409: "a candidate with this email already exists",
    410: "the person this candidate.update is about was erased: its personal fields can no "
    "longer be read, so it is not applied",
    412: "candidate 0b8e4f0e-7d0c-4f55-9a43-5f0b4bb0c0de is at version 4, not 3",
    413: "The request body is larger than the limit of 1048576 bytes.",
    415: "resume.exe is not a PDF, DOCX or TXT file; upload a resume in one of those.",
    422: "Some fields are invalid; see `errors`.",
    429: "Too many requests for you (this user or API key): retry in 12 s.",
    503: "A data store is unavailable or overloaded; retry shortly.",
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer` for a missing or bad access token",
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}


def _example(status: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + CODES[status],
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": EXAMPLE_DETAILS[status],
    }
    if status == 422:
        body["errors"] = {"emails.0": "String should have at most 254 characters"}
    if status == 403:
        body["permission"] = "candidates:write"
    if status == 409:
        body["duplicate_of"] = "5d7f3c1a-2b8e-4c6d-9e0f-1a2b3c4d5e6f"
    return body


def problem_answer(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented error: its description, the problem+json schema, an example."""
    answer: dict[str, Any] = {
        "description": description or MEANINGS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in EXAMPLE_DETAILS:
        answer["content"][PROBLEM_MEDIA_TYPE]["example"] = _example(status)
    if status in HEADERS:
        answer["headers"] = HEADERS[status]
    return answer


def problems(described: dict[int, str] | None = None, *statuses: int) -> Responses:
    """The `responses=` of a route's own errors: `{status: its description here}`, and
    `statuses` with their general meaning."""
    answers: Responses = {s: problem_answer(s) for s in statuses}
    for status, description in (described or {}).items():
        answers[status] = problem_answer(status, description)
    return answers
