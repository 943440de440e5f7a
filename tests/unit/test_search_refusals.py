"""The node's refusals of a search, as the caller should hear them (pure translation)."""

from __future__ import annotations

from typing import Any

from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import RequestError, TransportError

from core.errors import BadQuery, StoreUnavailable
from stores.search.refusals import translate


def _answer(kind: str, reason: str) -> dict[str, Any]:
    return {
        "error": {
            "root_cause": [{"type": kind, "reason": reason, "index": "rt-candidates-v1"}],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
        },
        "status": 500,
    }


def test_too_many_clauses_reported_as_500_is_the_callers_bad_query() -> None:
    exc = TransportError(
        500,
        "search_phase_execution_exception",
        _answer("too_many_nested_clauses", "Query contains too many nested clauses"),
    )
    translated = translate(exc)
    assert isinstance(translated, BadQuery)
    assert translated.status == 400
    assert "1024" in translated.message


def test_a_request_the_node_refuses_is_a_bad_query_without_the_index_name() -> None:
    exc = RequestError(
        400,
        "search_phase_execution_exception",
        _answer("illegal_argument_exception", "search_after has 1 value(s) but sort has 3."),
    )
    translated = translate(exc)
    assert isinstance(translated, BadQuery)
    assert "search_after has 1 value(s)" in translated.message
    assert "rt-candidates" not in translated.message


def test_a_busy_or_unreachable_node_is_unavailable_and_anything_else_stays_a_bug() -> None:
    assert isinstance(translate(TransportError(503, "unavailable", {})), StoreUnavailable)
    assert isinstance(translate(TransportError(429, "rejected", "busy")), StoreUnavailable)
    refused = OpenSearchConnectionError("N/A", "refused", OSError("refused"))
    assert isinstance(translate(refused), StoreUnavailable)
    other = TransportError(500, "null_pointer_exception", _answer("null_pointer_exception", ""))
    assert translate(other) is other
