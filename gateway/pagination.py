"""Opaque cursors, and the parameters every list takes.

A cursor is base64url JSON the client hands back unchanged. It comes back from the
client, so it is checked like any other input: one that does not decode, or decodes to
values of the wrong number or types for the list it is used on, or was made for another
sort, is a 400 (`bad_cursor`) here, before a store sees it.

`ListParams` is the one dependency of every list route (`GET /candidates`, `/clients`,
…): `limit`, `cursor`, `sort`, `created_since`, `updated_since` and `ids`, read into a
`stores.postgres.keyset.Window`; its `next_cursor` writes the `Link` header too.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Query, Request, Response

from core import jsoncodec
from core.errors import InvalidCommand, RTError
from stores.postgres.keyset import DEFAULT_SORT, SORT_ORDERS, Position, SortOrder, Window
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


# -- the parameters every list takes ------------------------------------------------------

DEFAULT_LIMIT = 50
MAX_IDS = 200
UUID_TEXT = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
IDS_PATTERN = f"^{UUID_TEXT}(,{UUID_TEXT}){{0,{MAX_IDS - 1}}}$"
# RFC 3339's date-time: a date, `T`, a time and a zone (`Z` or an offset); any case.
RFC3339_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3339 = re.compile(RFC3339_PATTERN)
RFC3339_HINT = "not an RFC 3339 time: give a date, a time and a zone, e.g. 2026-11-29T10:00:00Z"
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
LINK_HEADER = {
    "description": 'The next page\'s full URL, `<…>; rel="next"` (the same parameters, with '
    "`cursor`); absent on the last page",
    "required": False,
    "schema": {"type": "string"},
}


def parse_rfc3339(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 time as UTC; 422 naming `name` for anything else. A time the calendar
    cannot hold once in UTC (year 1 in a zone east of UTC, year 0) is its earliest or
    latest instant: every row is after the one, none after the other."""
    if value is None:
        return None
    if not _RFC3339.fullmatch(value):
        raise InvalidCommand(f"`{name}` is {RFC3339_HINT}", errors={name: RFC3339_HINT})
    if value.startswith("0000-"):
        return EARLIEST
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        message = "not a date and time of the calendar"
        raise InvalidCommand(f"`{name}` is {message}", errors={name: message}) from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return EARLIEST if parsed.year == 1 else LATEST


def parse_ids(value: str | None) -> tuple[UUID, ...] | None:
    """Comma-separated UUIDs, at most MAX_IDS; 422 naming `ids` for anything else."""
    if value is None or not value.strip():
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > MAX_IDS:
        message = f"at most {MAX_IDS} ids, {len(parts)} given"
        raise InvalidCommand(f"`ids`: {message}", errors={"ids": message})
    found: list[UUID] = []
    for part in parts:
        try:
            found.append(UUID(part))
        except ValueError:
            message = f"{part[:40]!r} is not a UUID"
            raise InvalidCommand(f"`ids`: {message}", errors={"ids": message}) from None
    return tuple(dict.fromkeys(found))


def _order(sort: str) -> str:
    return "the list's own order (no `sort`)" if sort == DEFAULT_SORT else f"`sort={sort}`"


def encode_list_cursor(sort: str, after: Position) -> str:
    value, last_id = after
    shown = value.isoformat() if isinstance(value, datetime) else value
    return encode_cursor([sort, shown, str(last_id)])


def decode_list_cursor(cursor: str | None, sort: str) -> Position | None:
    """Where a page of a list sorted by `sort` (a SortOrder, or DEFAULT_SORT for the list's
    own order) resumes; 400 for a cursor made for another sort."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    names = (*SORT_ORDERS, DEFAULT_SORT)
    if len(values) != 3 or values[0] not in names or not isinstance(values[2], str):
        raise BadCursor(NOT_OURS)
    if values[0] != sort:
        raise BadCursor(
            f"`cursor` was made for {_order(values[0])}, not {_order(sort)}: keep the sort "
            "while paging, or start again without a cursor"
        )
    try:
        last_id = UUID(values[2])
    except ValueError:
        raise BadCursor(NOT_OURS) from None
    value = values[1]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value, last_id
    if not isinstance(value, str):
        raise BadCursor(NOT_OURS)
    try:
        at = datetime.fromisoformat(value)
        # A time without a zone, or one that leaves the calendar once in UTC, is not one
        # we wrote (we write UTC): the database would refuse it with a 500.
        if at.tzinfo is None:
            raise ValueError("naive")
        return at.astimezone(UTC), last_id
    except (ValueError, OverflowError):
        raise BadCursor(NOT_OURS) from None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request's page (`window`), and how to tell the client where the next is."""

    window: Window
    request: Request
    response: Response

    def next_cursor(self, next_after: Position | None) -> str | None:
        """The `next_cursor` to answer (None on the last page); sets `Link` when there is
        a next page: this URL with every parameter kept and the new cursor."""
        if next_after is None:
            return None
        cursor = encode_list_cursor(self.window.sort_name, next_after)
        url = self.request.url.include_query_params(cursor=cursor)
        self.response.headers["Link"] = f'<{url}>; rel="next"'
        return cursor


def list_query(
    request: Request,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    sort: Annotated[
        SortOrder | None,
        Query(
            description="The order: `created_at` or `updated_at`, oldest first, or with `-` "
            "newest first (then by id); without it, the list's own order (its description "
            "says which). To catch up with changes, page with "
            "`sort=updated_at&updated_since=…`. A `cursor` keeps the sort it was made for "
            "(another: 400 `bad_cursor`)",
        ),
    ] = None,
    updated_since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only records changed (or created) at or after this RFC 3339 time "
            "(`2026-11-29T10:00:00Z`; a zone is required). Anything else: 422",
            json_schema_extra={"format": "date-time", "pattern": RFC3339_PATTERN},
        ),
    ] = None,
    created_since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only records created at or after this RFC 3339 time. Anything else: 422",
            json_schema_extra={"format": "date-time", "pattern": RFC3339_PATTERN},
        ),
    ] = None,
    ids: Annotated[
        str | None,
        Query(
            max_length=MAX_IDS * 37,
            description=f"Only these records: comma-separated ids, at most {MAX_IDS} (more, "
            "or one that is not a UUID: 422). An id of no record of yours is left out",
            json_schema_extra={"pattern": IDS_PATTERN},
        ),
    ] = None,
) -> ListQuery:
    window = Window(
        limit=limit,
        sort=sort,
        after=decode_list_cursor(cursor, sort or DEFAULT_SORT),
        created_since=parse_rfc3339("created_since", created_since),
        updated_since=parse_rfc3339("updated_since", updated_since),
        ids=parse_ids(ids),
    )
    return ListQuery(window, request, response)


ListParams = Annotated[ListQuery, Depends(list_query)]
"""The dependency every list route takes for its page (see the module's docstring)."""
