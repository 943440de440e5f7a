"""The agency's changes feed: what changed, in order, for a system catching up.

The worker's feed agent (agents/changes/) records every domain event; this reads them
back after a cursor. Unlike a list's, the feed's cursor is always given, even on an
empty page: it is where the caller stands in the feed, to resume from on its next poll.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from core.errors import InvalidCommand
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.pagination import (
    NOT_OURS,
    BadCursor,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    encode_cursor,
)
from stores.postgres import changes as feed
from topics.changes import FEED_PREFIXES, FEED_TYPES

router = APIRouter(tags=["changes"])

CURSOR_KIND = "changes"
DEFAULT_LIMIT = 100
TYPES_HINT = "an event type (`candidate.updated`) or a kind of record (`candidate.*`)"

_name = f"(?:{'|'.join(re.escape(n) for n in (*FEED_TYPES, *FEED_PREFIXES))})"
_TYPES_ITEM = rf"^\s*{_name}?\s*(?:,\s*{_name}?\s*)*$"

EXAMPLE = {
    "items": [
        {
            "id": "1f0e4a8c-8a53-5d1e-9a42-6b1f3c0d2e71",
            "sequence": 41,
            "type": "candidate.updated",
            "resource_type": "candidate",
            "resource_id": "5f0c6f1e-3c1a-4d2b-9f7e-2a6b8c9d0e13",
            "version": 3,
            "occurred_at": "2026-11-29T10:00:00.120000Z",
            "recorded_at": "2026-11-29T10:00:00.180000Z",
        },
        {
            "id": "7b2d9f40-1e6c-5a3b-8c7d-0f9e8d7c6b5a",
            "sequence": 42,
            "type": "candidate.erased",
            "resource_type": "candidate",
            "resource_id": "5f0c6f1e-3c1a-4d2b-9f7e-2a6b8c9d0e13",
            "version": 4,
            "occurred_at": "2026-11-29T10:05:00.010000Z",
            "recorded_at": "2026-11-29T10:05:00.070000Z",
        },
    ],
    "next_cursor": "WyJjaGFuZ2VzIiw0Ml0",
}


class ChangeItem(BaseModel):
    id: UUID = Field(description="The event's id: the same event is never listed twice")
    sequence: int = Field(
        ge=1,
        description="Its place in your agency's feed: 1, 2, 3 … in the order recorded (a "
        "gap only where old changes were pruned)",
    )
    type: str = Field(description="The event: `candidate.created`, `submission.stage_changed`, …")
    resource_type: str = Field(description="The kind of record: candidate, submission, …")
    resource_id: UUID = Field(description="The record's id")
    version: int = Field(
        ge=0,
        description="The record's version after the change; within one record the versions "
        "never decrease in the feed (an erasure has the version after the last)",
    )
    occurred_at: datetime = Field(description="When the change was applied")
    recorded_at: datetime = Field(description="When the feed recorded it")


class ChangePage(BaseModel):
    items: list[ChangeItem]
    next_cursor: str = Field(
        description="Where you stand in the feed: pass it back as `cursor` for the changes "
        "after these (given even when `items` is empty)"
    )


def encode_feed_cursor(sequence: int) -> str:
    return encode_cursor([CURSOR_KIND, sequence])


def decode_feed_cursor(cursor: str | None) -> int:
    """The sequence a page resumes after (0: the start of the feed)."""
    if not cursor:
        return 0
    values = decode_cursor(cursor)
    if (
        len(values) != 2
        or values[0] != CURSOR_KIND
        or isinstance(values[1], bool)
        or not isinstance(values[1], int)
        or not 0 <= values[1] < 2**63
    ):
        raise BadCursor(NOT_OURS)
    return int(values[1])


def parse_types(raw: list[str] | None) -> tuple[list[str], list[str]]:
    """(types, prefixes) from repeated or comma-separated `types`; 422 naming `types` for
    one the feed does not have. The names are a closed set, so however many are sent the
    query has at most one term per name: no count to bound."""
    values = list(dict.fromkeys(v.strip() for item in raw or [] for v in item.split(",")))
    values = [v for v in values if v]
    unknown = [v for v in values if v not in FEED_TYPES and v not in FEED_PREFIXES]
    if unknown:
        message = f"{unknown[0][:60]!r} is not {TYPES_HINT} the feed has"
        raise InvalidCommand(f"`types`: {message}", errors={"types": message})
    types = [v for v in values if v in FEED_TYPES]
    prefixes = [v.removesuffix("*") for v in values if v in FEED_PREFIXES]
    return types, prefixes


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="What changed in your agency, in order (the changes feed)",
    description=(
        "Every change to your agency's records, oldest first, in the order the feed "
        "recorded them (`sequence`): creates, updates, stage moves, placements, notes, "
        "erasures (`candidate.erased`, `contact.erased`: the id, never who it was). Each "
        "item names the event, the record (`resource_type`, `resource_id`) and its "
        "`version`; read the record itself for its fields.\n\n"
        "**Polling.** Start without `cursor` (the feed's beginning, as far as it is kept: "
        "`CHANGES_RETENTION_DAYS`, 90 by default), then pass `next_cursor` back as `cursor`, "
        "always: it is given on every answer, even one with no items, and saves where you "
        "stand. Keep reading at once while pages come back full (`limit` items); once one "
        "comes back short you are up to date: wait (a few seconds to minutes) and ask "
        "again with the last `next_cursor`. `Link` names the next page too.\n\n"
        "`types` narrows to event types or kinds of record (`candidate.*`), repeated or "
        "comma-separated; a cursor stays valid whatever `types` you pass with it. Within "
        "one record the versions never decrease; keep the highest you have seen."
    ),
    responses={
        200: {
            "description": "Changes after `cursor` (possibly none) and where to resume",
            "content": {"application/json": {"example": EXAMPLE}},
            "headers": {
                "Link": {
                    "description": 'The next page\'s full URL, `<…>; rel="next"` (the same '
                    "parameters, with `cursor`)",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
async def list_changes(
    request: Request,
    response: Response,
    principal: Annotated[Principal, allow("changes:read")],
    stores: StoresDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    types: Annotated[
        list[str] | None,
        Query(
            description=f"Only these: each {TYPES_HINT}. Repeat the parameter or separate "
            f"values with commas. Types: {', '.join(FEED_TYPES)}; kinds: "
            f"{', '.join(FEED_PREFIXES)}",
            json_schema_extra={"items": {"type": "string", "pattern": _TYPES_ITEM}},
        ),
    ] = None,
) -> ChangePage:
    after = decode_feed_cursor(cursor)
    wanted, prefixes = parse_types(types)
    async with stores.db.read() as conn:
        rows, next_after = await feed.page(
            conn, principal.tenant_id, after=after, limit=limit, types=wanted, prefixes=prefixes
        )
    next_cursor = encode_feed_cursor(next_after)
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
    return ChangePage(
        items=[ChangeItem.model_validate({**row, "id": row["event_id"]}) for row in rows],
        next_cursor=next_cursor,
    )
