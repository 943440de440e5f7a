"""The `q` of a search or a saved search, parsed or refused with where it breaks."""

from __future__ import annotations

from core.errors import BadQuery
from domain.query_syntax import Node, QuerySyntaxError, parse_query


def parsed_query(q: str, fields: frozenset[str]) -> Node | None:
    try:
        return parse_query(q, fields)
    except QuerySyntaxError as exc:
        raise BadQuery(
            f"q: {exc}; check quotes, parentheses and that AND, OR and NOT join two terms",
            position=exc.position + 1,
        ) from None
