"""How search hits are ordered, and what each hit's `sort` values are.

A page's cursor is the last hit's `sort` values, handed to the client and back as
`search_after`; the gateway checks a returned cursor against `cursor_shape` so a
forged one is refused before it reaches the index.
"""

from __future__ import annotations

from typing import Any, Literal

# score: the relevance (a number); millis: a date as epoch milliseconds (a long);
# id: the document's UUID (a keyword).
SortValue = Literal["score", "millis", "id"]

RELEVANCE: list[dict[str, Any]] = [{"_score": "desc"}, {"updated_at": "desc"}, {"id": "asc"}]
RECENT: list[dict[str, Any]] = [{"updated_at": "desc"}, {"id": "asc"}]


def order(recent_first: bool) -> list[dict[str, Any]]:
    return RECENT if recent_first else RELEVANCE


def cursor_shape(recent_first: bool) -> tuple[SortValue, ...]:
    return ("millis", "id") if recent_first else ("score", "millis", "id")
