"""Plain queries ranked by coverage, prefixes, and the radius parts of a search request."""

from __future__ import annotations

import uuid
from itertools import pairwise
from typing import Any

import pytest

from domain.geo import Point
from domain.query_syntax import And, PrefixTooShort, Term, parse_query
from stores.search.candidate_index import ALL_TEXT, CANDIDATE_MAPPINGS
from stores.search.candidate_queries import candidate_search_body
from stores.search.query_dsl import (
    BM25_CEILING,
    CANDIDATE_FIELDS,
    CANDIDATE_SKILL_PLACES,
    MAX_EXPANSIONS,
    REQUISITION_FIELDS,
    TEXT_BOOST,
    TEXT_SHARE,
    coverage_terms,
    ranked_query,
    term_label,
    to_query,
)
from stores.search.sorting import TOTAL_HITS_CAP, order_by, shape_of


def test_a_trailing_star_is_a_prefix_of_at_least_two_characters() -> None:
    assert parse_query("java*") == Term("java", prefix=True)
    assert parse_query("skill:py*") == Term("py", "skill", prefix=True)
    for short in ("j*", "*", "python -*"):
        with pytest.raises(PrefixTooShort):
            parse_query(short)
    # A star inside a word, or in a phrase, is just a character.
    assert parse_query('"c*"') == Term("c*", phrase=True)


def test_prefixes_expand_boundedly() -> None:
    bare = to_query(Term("java", prefix=True), CANDIDATE_FIELDS)
    assert bare["multi_match"]["type"] == "phrase_prefix"
    assert bare["multi_match"]["max_expansions"] == MAX_EXPANSIONS
    fielded = to_query(Term("kube", "skill", prefix=True), CANDIDATE_FIELDS)
    assert fielded == {
        "match_phrase_prefix": {"skills": {"query": "kube", "max_expansions": MAX_EXPANSIONS}}
    }
    keyword = to_query(Term("ber", "city", prefix=True), CANDIDATE_FIELDS)
    assert keyword == {"prefix": {"city": {"value": "ber", "case_insensitive": True}}}


def test_only_plain_queries_of_two_terms_or_more_rank_by_coverage() -> None:
    tree = parse_query('python kubernetes "machine learning" java*')
    terms = coverage_terms(tree)
    assert terms is not None
    assert [term_label(t) for t in terms] == ["python", "kubernetes", '"machine learning"', "java*"]
    # Stop words name nothing to cover, and a repeat counts once.
    stopped = coverage_terms(parse_query("kafka and the python Kafka"))
    assert stopped is not None
    assert [t.text for t in stopped] == ["kafka", "python"]
    # An AND written out asks for every part: boolean, though the tree is the same AND.
    explicit = parse_query("python AND kafka")
    assert explicit == And((Term("python"), Term("kafka")))
    assert isinstance(explicit, And)
    assert explicit.explicit
    for boolean in (
        "python",
        "python AND kafka",
        "python OR kafka",
        "python -php",
        "skill:go rust",
    ):
        tree = parse_query(boolean)
        assert tree is not None
        assert coverage_terms(tree) is None, boolean
        assert ranked_query(tree, CANDIDATE_FIELDS) == to_query(tree, CANDIDATE_FIELDS)


def test_coverage_counts_each_term_once_and_bm25_stays_below_one() -> None:
    tree = parse_query("python k8s terraform")
    assert tree is not None
    query = ranked_query(tree, CANDIDATE_FIELDS)["bool"]
    assert query["minimum_should_match"] == 1
    covered = [c["function_score"] for c in query["should"]]
    assert [c["_name"] for c in covered] == ["python", "k8s", "terraform"]
    # No script anywhere: nothing runs per document matched.
    assert "script_score" not in str(query)
    for c, term in zip(covered, ("python", "k8s", "terraform"), strict=True):
        # 1 for the term found, added to its own score ...
        assert c["functions"] == [{"weight": 1.0}]
        assert c["boost_mode"] == "sum"
        # ... scaled so that the three stay below one term up to the ceiling.
        assert c["query"]["bool"]["must"] == [to_query(Term(term), CANDIDATE_FIELDS)]
        assert 3 * c["query"]["bool"]["boost"] * BM25_CEILING <= 1.0
    # k8s searches Kubernetes too.
    assert "Kubernetes" in str(covered[1])


def _clauses(query: dict[str, Any]) -> list[dict[str, Any]]:
    should: list[dict[str, Any]] = query["bool"]["should"]
    return should


def test_a_skill_word_is_the_skill_wherever_and_however_written() -> None:
    go = to_query(Term("golang"), CANDIDATE_FIELDS)
    [found] = go["bool"]["must"]
    [words] = go["bool"]["should"]
    places, listed = _clauses(found)[:-1], _clauses(found)[-1]
    assert found["bool"]["minimum_should_match"] == 1
    # Found by key in every place a skill is kept, each counting as much as it says.
    assert [
        (next(iter(c["constant_score"]["filter"]["term"].items())), c["constant_score"]["boost"])
        for c in places
    ] == [((field, "go"), weight) for field, weight in CANDIDATE_SKILL_PLACES.items()]
    # "Go" only as a listed skill (in prose it is "go-to", "let's go"), also where the
    # vocabulary could not read the list ("Go/Rust").
    assert listed == {
        "match": {"skills": {"query": "Go", "operator": "and", "boost": 2.0 * TEXT_BOOST}}
    }
    # "golang" anywhere (the jobs' descriptions too), in the one field holding every
    # field's words: it orders the people the keys found, it finds nobody itself (a
    # `should` beside a `must`).
    assert words["bool"]["should"] == [
        {"match": {ALL_TEXT: {"query": "golang", "operator": "and"}}}
    ]
    # The words' BM25, scaled, stays below the smallest step between two sums of places
    # up to the ceiling.
    assert words["bool"]["boost"] == TEXT_BOOST
    assert TEXT_BOOST * BM25_CEILING <= TEXT_SHARE
    weights = list(CANDIDATE_SKILL_PLACES.values())
    sums = sorted({sum(w for i, w in enumerate(weights) if m >> i & 1) for m in range(16)})
    assert min(b - a for a, b in pairwise(sums)) > TEXT_SHARE
    assert "script_score" not in str(go)
    # C# is "c" to the analyser, as C and C++ are: found by key, and "csharp" as a word.
    csharp = to_query(Term("C#"), CANDIDATE_FIELDS)
    assert "'c#'" in str(csharp["bool"]["must"])
    assert "'query': 'C#'" not in str(csharp)


def test_a_bare_word_is_a_few_fields_not_one_per_field() -> None:
    # The boosted fields alone, every other one through `all_text` (copy_to): a word is
    # four terms to walk, not nine.
    cobol = to_query(Term("cobol"), CANDIDATE_FIELDS)
    assert cobol["multi_match"]["fields"] == ["full_name^3", "headline^2", "skills^2", ALL_TEXT]
    copied = {
        name
        for name, field in CANDIDATE_MAPPINGS["properties"].items()
        if field.get("copy_to") == ALL_TEXT
    }
    assert copied == {
        "full_name",
        "headline",
        "skills",
        "work_titles",
        "employers",
        "work_descriptions",
        "resume_text",
    }
    assert CANDIDATE_MAPPINGS["properties"][ALL_TEXT] == {"type": "text", "analyzer": "english"}
    # A skill word: four keys and its listed spellings to match, one text field to score.
    python = str(to_query(Term("python"), CANDIDATE_FIELDS))
    assert "resume_text" not in python
    assert "work_descriptions" not in python


def test_words_the_vocabulary_does_not_know_phrases_and_fields_are_searched_as_written() -> None:
    cobol = to_query(Term("cobol"), CANDIDATE_FIELDS)
    assert cobol["multi_match"]["query"] == "cobol"
    assert ALL_TEXT in cobol["multi_match"]["fields"]
    phrase = to_query(Term("golang", phrase=True), CANDIDATE_FIELDS)
    assert phrase["multi_match"]["query"] == "golang"
    fielded = to_query(Term("golang", "skill"), CANDIDATE_FIELDS)
    assert {c["match"]["skills"]["query"] for c in _clauses(fielded)} == {"Go", "golang"}
    # Requisitions keep no skills read from text: a skill word is its spellings there.
    required = to_query(Term("k8s"), REQUISITION_FIELDS)
    assert {c["multi_match"]["query"] for c in _clauses(required)} == {"Kubernetes", "k8s"}


def test_near_filters_sorts_and_totals() -> None:
    munich = Point(48.14, 11.58)
    body = candidate_search_body(
        uuid.uuid4(),
        None,
        size=20,
        search_after=None,
        sort="distance",
        near=munich,
        radius_km=30,
    )
    filters = body["query"]["bool"]["filter"]
    assert {
        "geo_distance": {
            "distance": "30km",
            "distance_type": "arc",
            "location.point": {"lat": 48.14, "lon": 11.58},
        }
    } in filters
    assert body["sort"][0]["_geo_distance"]["location.point"] == {"lat": 48.14, "lon": 11.58}
    assert body["track_total_hits"] == TOTAL_HITS_CAP
    assert shape_of("distance") == ("score", "id")
    with pytest.raises(ValueError, match="needs a point"):
        order_by("distance", None)
