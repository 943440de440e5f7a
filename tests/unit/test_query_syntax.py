from __future__ import annotations

import pytest

from domain.query_syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse_query,
)
from stores.search.query_dsl import FIELDS, FieldMap, is_negative_only, to_query


def test_words_next_to_each_other_must_all_match() -> None:
    assert parse_query("senior python") == And((Term("senior"), Term("python")))
    assert parse_query("  ") is None


def test_or_binds_looser_than_and_and_parentheses_group() -> None:
    assert parse_query("senior python AND (kafka OR pulsar) NOT php") == And(
        (
            Term("senior"),
            Term("python"),
            Or((Term("kafka"), Term("pulsar"))),
            Not(Term("php")),
        )
    )
    assert parse_query("a b OR c") == Or((And((Term("a"), Term("b"))), Term("c")))


def test_operators_only_in_capitals_so_words_stay_words() -> None:
    assert parse_query("design and build") == And((Term("design"), Term("and"), Term("build")))


def test_phrases_fields_and_minus() -> None:
    assert parse_query('skill:Python title:"staff   engineer" -contractor') == And(
        (
            Term("Python", "skill"),
            Term("staff engineer", "title", phrase=True),
            Not(Term("contractor")),
        )
    )
    assert parse_query('"machine learning" OR ml') == Or(
        (Term("machine learning", phrase=True), Term("ml"))
    )
    assert parse_query("c++ c#") == And((Term("c++"), Term("c#")))


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("python AND", "missing after 'AND'", 10),
        ("(python OR go", "parenthesis is not closed", 0),
        ("python)", "unexpected ')'", 6),
        ('title:"staff', "quote is not closed", 6),
        ("OR python", "unexpected 'OR'", 0),
        ("NOT", "missing after 'NOT'", 3),
        ("shoe:44", "unknown field 'shoe'", 0),
        ("skill:", "needs a value", 6),
        ('""', "empty phrase", 0),
    ],
)
def test_malformed_queries_say_where_they_break(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(query, FIELDS)
    assert message in raised.value.message
    assert raised.value.position == position


def test_nesting_and_length_are_bounded() -> None:
    with pytest.raises(QuerySyntaxError, match="nest too deep"):
        parse_query("(" * 30 + "x" + ")" * 30)
    with pytest.raises(QuerySyntaxError, match="more than 100 terms"):
        parse_query(" ".join(f"w{i}" for i in range(101)))


@pytest.mark.parametrize(
    "query",
    [
        "-" * 500 + "python",
        "NOT " * 200 + "x",
        "(" * 300 + "x" + ")" * 300,
        "-(" * 200 + "x" + ")" * 200,
        "NOT -" * 11 + "x",
    ],
)
def test_every_operator_counts_toward_the_depth(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nest too deep") as raised:
        parse_query(query)
    assert raised.value.position < len(query)


def _nested(levels: int) -> str:
    """`a OR (b AND (c OR ...))`: each level is a parenthesis and an AND or OR."""
    text = "z"
    for i in range(levels):
        text = f"w{i} {'OR' if i % 2 else 'AND'} ({text})"
    return text


def test_and_or_nesting_counts_as_deeply_as_parentheses() -> None:
    assert parse_query(_nested(MAX_DEPTH // 2)) is not None
    with pytest.raises(QuerySyntaxError, match="nest too deep"):
        parse_query(_nested(MAX_DEPTH // 2 + 1))
    # Exactly the bound is allowed, one more is not.
    assert parse_query("-" * MAX_DEPTH + "x") is not None
    with pytest.raises(QuerySyntaxError, match=f"more than {MAX_DEPTH}"):
        parse_query("-" * (MAX_DEPTH + 1) + "x")


def test_the_tree_becomes_an_opensearch_query() -> None:
    tree = parse_query('cobol OR (skill:fortran -city:Berlin) title:"staff engineer"', FIELDS)
    fields = FieldMap({"skill": "skills", "title": "headline"}, {"city": "city"}, ["headline"])
    assert tree is not None
    query = to_query(tree, fields)
    cobol, rest = query["bool"]["should"]
    assert cobol["multi_match"]["query"] == "cobol"
    assert cobol["multi_match"]["type"] == "best_fields"
    group, title = rest["bool"]["must"]
    fortran, not_berlin = group["bool"]["must"]
    assert fortran["match"]["skills"]["query"] == "fortran"
    assert not_berlin == {
        "bool": {"must_not": [{"term": {"city": {"value": "Berlin", "case_insensitive": True}}}]}
    }
    assert title == {"match_phrase": {"headline": "staff engineer"}}


def test_a_query_of_nots_alone_matches_everyone_else() -> None:
    only_not = parse_query("NOT php -perl")
    assert only_not is not None
    assert is_negative_only(only_not)
    mixed = parse_query("python NOT php")
    assert mixed is not None
    assert not is_negative_only(mixed)


def test_a_skill_is_searched_in_every_spelling_of_the_vocabulary() -> None:
    tree = parse_query("skill:k8s golang", FIELDS)
    assert tree is not None
    fields = FieldMap({"skill": "skills"}, {}, ["headline"])
    k8s, golang = to_query(tree, fields)["bool"]["must"]
    assert {c["match"]["skills"]["query"] for c in k8s["bool"]["should"]} == {"Kubernetes", "k8s"}
    spelled = {c["multi_match"]["query"] for c in golang["bool"]["should"]}
    assert spelled == {"Go", "golang"}
    phrase = to_query(Term("golang", phrase=True), fields)
    assert phrase["multi_match"]["query"] == "golang"  # a quoted phrase is taken as written


def test_a_query_longer_than_the_limit_is_a_syntax_error() -> None:
    assert parse_query("x" * MAX_LENGTH) is not None
    with pytest.raises(QuerySyntaxError, match=f"longer than {MAX_LENGTH}") as raised:
        parse_query("NOT " * 300 + "x")
    assert raised.value.position == MAX_LENGTH
