"""The recruiter's query tree (core.query_syntax) as an OpenSearch query on candidates."""

from __future__ import annotations

from typing import Any

from core.query_syntax import And, Node, Not, Or, Term

# `field:value` names, and the index field each searches. Text fields are analysed
# (stemmed, any case); keyword fields match the whole value, in any case.
TEXT_FIELDS: dict[str, str] = {
    "skill": "skills",
    "skills": "skills",
    "title": "headline",
    "headline": "headline",
    "name": "full_name",
    "resume": "resume_text",
    "text": "resume_text",
}
KEYWORD_FIELDS: dict[str, str] = {
    "city": "city",
    "country": "country",
    "tag": "tags",
    "tags": "tags",
    "status": "status",
    "source": "source",
    "email": "emails",
}
FIELDS: frozenset[str] = frozenset(TEXT_FIELDS) | frozenset(KEYWORD_FIELDS)


def candidate_query(node: Node, default_fields: list[str]) -> dict[str, Any]:
    if isinstance(node, Term):
        return _term(node, default_fields)
    if isinstance(node, And):
        return {"bool": {"must": [candidate_query(p, default_fields) for p in node.parts]}}
    if isinstance(node, Or):
        return {
            "bool": {
                "should": [candidate_query(p, default_fields) for p in node.parts],
                "minimum_should_match": 1,
            }
        }
    return {"bool": {"must_not": [candidate_query(node.part, default_fields)]}}


def _term(term: Term, default_fields: list[str]) -> dict[str, Any]:
    if term.field is None:
        kind = "phrase" if term.phrase else "best_fields"
        return {
            "multi_match": {
                "query": term.text,
                "fields": default_fields,
                "type": kind,
                # A stop word alone ("and", "the") matches rather than excludes everyone.
                "zero_terms_query": "all",
            }
        }
    if term.field in KEYWORD_FIELDS:
        field = KEYWORD_FIELDS[term.field]
        return {"term": {field: {"value": term.text, "case_insensitive": True}}}
    field = TEXT_FIELDS[term.field]
    if term.phrase:
        return {"match_phrase": {field: term.text}}
    return {"match": {field: {"query": term.text, "operator": "and", "zero_terms_query": "all"}}}


def is_negative_only(node: Node) -> bool:
    """A query of NOTs alone (`NOT php`) matches everyone else, so it needs a match_all."""
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(is_negative_only(p) for p in node.parts)
    return False
