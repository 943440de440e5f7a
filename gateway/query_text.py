"""The `q` of a search or a saved search, parsed or refused with where it breaks."""

from __future__ import annotations

from core.errors import BadQuery, InvalidCommand
from domain.query_syntax import Node, PrefixTooShort, QuerySyntaxError, parse_query


def parsed_query(q: str, fields: frozenset[str]) -> Node | None:
    try:
        return parse_query(q, fields)
    except PrefixTooShort as exc:
        # It parses; it asks for too much (`j*` is most of the index): an invalid value.
        raise InvalidCommand(
            f"q: {exc}", errors={"q": exc.message}, position=exc.position + 1
        ) from None
    except QuerySyntaxError as exc:
        raise BadQuery(
            f"q: {exc}; check quotes, parentheses and that AND, OR and NOT join two terms",
            position=exc.position + 1,
        ) from None
