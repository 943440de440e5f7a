"""Opaque cursors: base64url JSON the client hands back unchanged.

A cursor comes back from the client, so it is checked like any other input: one that
does not decode, or decodes to values of the wrong number or types for the list it is
used on, is a 400 (`bad_cursor`) here, before a store sees it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query

from core import jsoncodec
from core.errors import RTError
from stores.search.sorting import SortValue

NOT_OURS = "`cursor` is not one this API issued for this list; pass `next_cursor` unchanged"
# Sort values OpenSearch hands back fit in a signed 64-bit long.
LONG_RANGE = range(-(2**63), 2**63)


# What a cursor of ours looks like, so the document says it. Whether its values fit the
# list is checked below (400), as no schema can say it.
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
MAX_CURSOR_LENGTH = 500
MAX_LIMIT = 200

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="The `next_cursor` of the previous page, unchanged (anything else: 400 "
        "`bad_cursor`)",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]


class BadCursor(RTError):
    code = "bad_cursor"
    status = 400
    title = "Bad cursor"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(jsoncodec.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = jsoncodec.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise BadCursor(NOT_OURS) from None
    if not isinstance(values, list):
        raise BadCursor(NOT_OURS)
    return values


def decode_page_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (created_at, id) a newest-first page resumes after."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    if len(values) != 2 or not all(isinstance(v, str) for v in values):
        raise BadCursor(NOT_OURS)
    try:
        created_at = datetime.fromisoformat(values[0])
        # A time without a zone, or one that leaves the calendar once in UTC, is not
        # one we wrote (we write UTC): the database would refuse it with a 500.
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at.astimezone(UTC), UUID(values[1])
    except (ValueError, OverflowError):
        raise BadCursor(NOT_OURS) from None


def next_page_cursor(items: Sequence[Any], limit: int) -> str | None:
    """The cursor after a full page of items with `created_at` and `id`, else None."""
    if len(items) < limit:
        return None
    last = items[-1]
    return encode_cursor([last.created_at.isoformat(), str(last.id)])


def _fits(value: Any, kind: SortValue) -> bool:
    if isinstance(value, bool):  # JSON true is not a number here
        return False
    if kind == "score":
        return isinstance(value, int | float) and (
            not isinstance(value, int) or value in LONG_RANGE
        )
    if kind == "millis":
        return isinstance(value, int) and value in LONG_RANGE
    if not isinstance(value, str):
        return False
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def decode_search_cursor(cursor: str | None, shape: Sequence[SortValue]) -> list[Any] | None:
    """The sort values a search page resumes after; `shape` is the order's (sorting.py)."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    if len(values) != len(shape) or not all(map(_fits, values, shape)):
        raise BadCursor(NOT_OURS)
    return values


def encode_seq_cursor(seq: int) -> str:
    return encode_cursor([seq])


def decode_seq_cursor(cursor: str | None) -> int | None:
    """The seq a page of a sequence (the audit log) resumes before."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int):
        raise BadCursor(NOT_OURS)
    if not 1 <= values[0] < 2**63:
        raise BadCursor(NOT_OURS)
    return int(values[0])
