"""Any text a client may send as `q`: a tree within the limits that becomes a search
request, or QuerySyntaxError, and nothing else (no recursion error, no crash)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.query_syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    parse_query,
)
from stores.search.query_dsl import (
    CANDIDATE_FIELDS,
    REQUISITION_FIELDS,
    candidate_search_query,
    to_query,
)

# Pieces of the syntax, so the fuzzer builds nested operators far more often than
# arbitrary text would.
PIECES = st.sampled_from(
    [
        "(",
        ")",
        '"',
        "-",
        "+",
        ":",
        " ",
        "  ",
        "AND ",
        "OR ",
        "NOT ",
        "&&",
        "||",
        "and",
        "python",
        "k8s",
        "golang",
        "skill:",
        "title:",
        "city:",
        "shoe:",
        "c++",
        "é",
        "\t",
        "\x00",
    ]
)
SYNTAX = st.lists(PIECES, max_size=300).map("".join)
QUERIES = st.one_of(st.text(max_size=1000), SYNTAX)


def depth(node: Node) -> int:
    if isinstance(node, Not):
        return 1 + depth(node.part)
    if isinstance(node, And | Or):
        return 1 + max(depth(p) for p in node.parts)
    return 0


def terms(node: Node) -> int:
    if isinstance(node, Not):
        return terms(node.part)
    if isinstance(node, And | Or):
        return sum(terms(p) for p in node.parts)
    return 1


def _parsed(text: str, fields: frozenset[str]) -> Node | QuerySyntaxError | None:
    try:
        return parse_query(text, fields)
    except QuerySyntaxError as exc:
        return exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES)
def test_any_text_parses_within_the_limits_or_is_a_syntax_error(text: str) -> None:
    for fields in (CANDIDATE_FIELDS, REQUISITION_FIELDS):
        tree = _parsed(text, fields.names)
        if isinstance(tree, QuerySyntaxError):
            assert 0 <= tree.position <= len(text)
            continue
        if tree is None:
            assert not text.strip() or set(text.split()) <= {"+", "-"}
            continue
        assert depth(tree) <= MAX_DEPTH
        assert terms(tree) <= MAX_TERMS
        # The request the store sends is plain JSON, whatever the tree.
        json.dumps(to_query(tree, fields))
        if fields is CANDIDATE_FIELDS:
            json.dumps(candidate_search_query("tenant", tree, None))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=MAX_DEPTH + 1, max_value=2000), st.sampled_from(["-", "NOT ", "("]))
def test_long_chains_of_one_operator_are_refused_not_recursed(n: int, operator: str) -> None:
    text = operator * n + "python" + (")" * n if operator == "(" else "")
    refused = _parsed(text, CANDIDATE_FIELDS.names)
    assert isinstance(refused, QuerySyntaxError), f"{n} nested {operator!r} parsed"
    why = "longer than" if len(text) > MAX_LENGTH else "nest too deep"
    assert why in refused.message
