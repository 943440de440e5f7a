"""The node's refusals of a search request, translated at the adapter edge.

A search request is built from a client's query, filters and cursor. When OpenSearch
refuses it as malformed (400) or as too large once expanded (`too_many_clauses`, which
it reports as a 500), the fault is in what the client sent: the caller gets
`core.errors.BadQuery` (a 400 saying what to change), not a 500. A node that is busy
(429, 503) is `StoreUnavailable`, worth a retry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import RequestError, TransportError

from core.errors import BadQuery, StoreUnavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Lucene's limit on the clauses one request expands to (indices.query.bool.max_clause_count).
TOO_MANY_CLAUSES = frozenset({"too_many_clauses", "too_many_nested_clauses"})
BUSY = frozenset({429, 502, 503, 504})


def root_cause(exc: TransportError) -> tuple[str, str]:
    """The (type, reason) of the node's first root cause, as far as the answer says."""
    info: Any = exc.info
    error = info.get("error") if isinstance(info, dict) else None
    if not isinstance(error, dict):
        return str(exc.error), ""
    causes = error.get("root_cause") or [error]
    first = causes[0] if isinstance(causes[0], dict) else error
    return str(first.get("type", exc.error)), str(first.get("reason", ""))


def translate(exc: TransportError) -> Exception:
    """What `exc` means to the caller: BadQuery, StoreUnavailable, or itself (a bug)."""
    if isinstance(exc, OpenSearchConnectionError):
        return StoreUnavailable("opensearch", exc)
    kind, reason = root_cause(exc)
    if kind in TOO_MANY_CLAUSES:
        return BadQuery(
            "the search expands to more clauses than the index allows (1024): use fewer "
            "terms, fewer skill or tag filters, or words that split into fewer parts",
            reason=kind,
        )
    if isinstance(exc, RequestError):
        # The reason names what was wrong (a cursor of the wrong length, a value the
        # field cannot hold); never the index or the node.
        return BadQuery(f"the search index refused the request: {reason[:200]}", reason=kind)
    if exc.status_code in BUSY:
        return StoreUnavailable("opensearch", exc)
    return exc


def refusals_translated(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate a search adapter call built from client input (see the module doc)."""

    @functools.wraps(call)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(*args, **kwargs)
        except TransportError as exc:
            translated = translate(exc)
            if translated is exc:
                raise
            log.info("search request refused by the node: %s", exc)
            raise translated from exc

    return wrapper
