"""The recruiter's query tree (domain.query_syntax) as OpenSearch queries, filters, facets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.query_syntax import And, Node, Not, Or, Term
from domain.skills import skill_key, spellings


@dataclass(frozen=True)
class FieldMap:
    """What `field:value` may name in one index, and the index field each searches.

    Text fields are analysed (stemmed, any case); keyword fields match the whole value,
    in any case. `default` are the fields a bare word searches, with their boosts.
    """

    text: dict[str, str]
    keyword: dict[str, str]
    default: list[str]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.text) | frozenset(self.keyword)


CANDIDATE_FIELDS = FieldMap(
    text={
        "skill": "skills",
        "skills": "skills",
        "title": "headline",
        "headline": "headline",
        "name": "full_name",
        "resume": "resume_text",
        "text": "resume_text",
        "employer": "employers",
        "company": "employers",
        "worked_as": "work_titles",
    },
    keyword={
        "city": "city",
        "country": "country",
        "tag": "tags",
        "tags": "tags",
        "status": "status",
        "source": "source",
        "email": "emails",
    },
    default=[
        "full_name^3",
        "headline^2",
        "skills^2",
        "work_titles",
        "employers",
        "first_name",
        "last_name",
        "resume_text",
    ],
)
REQUISITION_FIELDS = FieldMap(
    text={
        "title": "title",
        "skill": "skills",
        "skills": "skills",
        "description": "description",
    },
    keyword={
        "city": "city",
        "country": "country",
        "status": "status",
        "priority": "priority",
        "type": "employment_type",
        "remote": "remote",
    },
    default=["title^3", "skills^2", "description"],
)
FIELDS = CANDIDATE_FIELDS.names


def to_query(node: Node, fields: FieldMap) -> dict[str, Any]:
    if isinstance(node, Term):
        return _term(node, fields)
    if isinstance(node, And):
        return {"bool": {"must": [to_query(p, fields) for p in node.parts]}}
    if isinstance(node, Or):
        return {
            "bool": {
                "should": [to_query(p, fields) for p in node.parts],
                "minimum_should_match": 1,
            }
        }
    return {"bool": {"must_not": [to_query(node.part, fields)]}}


def _term(term: Term, fields: FieldMap) -> dict[str, Any]:
    if term.field in fields.keyword:
        field = fields.keyword[term.field]
        return {"term": {field: {"value": term.text, "case_insensitive": True}}}
    # A skill's other spellings count too (k8s finds Kubernetes, golang finds Go): the
    # vocabulary resume parsing uses, applied to the words searched.
    variants = [term.text] if term.phrase else spellings(term.text)
    if len(variants) == 1:
        return _text(term.text, term.field, term.phrase, fields)
    return {
        "bool": {
            "should": [_text(v, term.field, " " in v, fields) for v in variants],
            "minimum_should_match": 1,
        }
    }


def _text(text: str, field_name: str | None, phrase: bool, fields: FieldMap) -> dict[str, Any]:
    if field_name is None:
        return {
            "multi_match": {
                "query": text,
                "fields": fields.default,
                "type": "phrase" if phrase else "best_fields",
                # A stop word alone ("and", "the") matches rather than excludes everyone.
                "zero_terms_query": "all",
            }
        }
    field = fields.text[field_name]
    if phrase:
        return {"match_phrase": {field: text}}
    return {"match": {field: {"query": text, "operator": "and", "zero_terms_query": "all"}}}


def is_negative_only(node: Node) -> bool:
    """A query of NOTs alone (`NOT php`) matches everyone else, so it needs a match_all."""
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(is_negative_only(p) for p in node.parts)
    return False


@dataclass(frozen=True)
class CandidateFilters:
    """Narrowing that does not rank: each given filter must hold."""

    skills_all: Sequence[str] = ()
    skills_any: Sequence[str] = ()
    city: str | None = None
    country: str | None = None
    remote: bool | None = None
    available_before: date | None = None
    rate_min: Decimal | None = None
    rate_max: Decimal | None = None
    currency: str | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    statuses: Sequence[str] = ()
    tags: Sequence[str] = ()
    owner_id: str | None = None
    updated_since: datetime | None = None
    # Has a submission now in one of these stages (anywhere in the agency's pipeline).
    stages: Sequence[str] = ()
    # True: in at least one active submission; False: in none.
    in_pipeline: bool | None = None

    def clauses(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [
            {"term": {"skill_keys": skill_key(s)}} for s in self.skills_all
        ]
        if self.skills_any:
            found.append({"terms": {"skill_keys": [skill_key(s) for s in self.skills_any]}})
        for field, value in (("city", self.city), ("country", self.country)):
            if value:
                found.append({"term": {field: {"value": value, "case_insensitive": True}}})
        if self.remote is not None:
            found.append({"term": {"remote": self.remote}})
        if self.available_before is not None:
            # Without a date the candidate is taken to be available now.
            found.append(
                {
                    "bool": {
                        "should": [
                            {
                                "range": {
                                    "available_from": {"lte": self.available_before.isoformat()}
                                }
                            },
                            {"bool": {"must_not": {"exists": {"field": "available_from"}}}},
                        ],
                        "minimum_should_match": 1,
                    }
                }
            )
        rate: dict[str, float] = {}
        if self.rate_min is not None:
            rate["gte"] = float(self.rate_min)
        if self.rate_max is not None:
            rate["lte"] = float(self.rate_max)
        if rate:
            found.append({"range": {"rate_amount": rate}})
        salary: dict[str, float] = {}
        if self.salary_min is not None:
            salary["gte"] = float(self.salary_min)
        if self.salary_max is not None:
            salary["lte"] = float(self.salary_max)
        if salary:
            found.append({"range": {"salary_amount": salary}})
        if self.currency:
            # The currency of whichever the range is about: rate, salary, or either.
            fields = [f for f, on in (("rate_currency", rate), ("salary_currency", salary)) if on]
            found.append(
                {
                    "bool": {
                        "should": [
                            {"term": {f: self.currency.upper()}}
                            for f in fields or ["rate_currency", "salary_currency"]
                        ],
                        "minimum_should_match": 1,
                    }
                }
            )
        if self.statuses:
            found.append({"terms": {"status": list(self.statuses)}})
        found.extend({"term": {"tags": tag}} for tag in self.tags)
        if self.owner_id:
            found.append({"term": {"owner_id": self.owner_id}})
        if self.updated_since is not None:
            found.append({"range": {"updated_at": {"gte": self.updated_since.isoformat()}}})
        if self.stages:
            found.append({"terms": {"stages": list(self.stages)}})
        if self.in_pipeline is True:
            found.append({"range": {"active_submissions": {"gt": 0}}})
        elif self.in_pipeline is False:
            found.append({"bool": {"must_not": {"range": {"active_submissions": {"gt": 0}}}}})
        return found


# Facets a recruiter narrows by, with the index field counted for each.
FACETS: dict[str, str] = {
    "skills": "skill_keys",
    "city": "city",
    "country": "country",
    "status": "status",
    "tags": "tags",
    "stage": "stages",
}
FACET_SIZE = 20


def facet_aggregations() -> dict[str, Any]:
    return {name: {"terms": {"field": field, "size": FACET_SIZE}} for name, field in FACETS.items()}


def facet_counts(aggregations: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"value": b["key"], "count": b["doc_count"]} for b in agg["buckets"]]
        for name, agg in aggregations.items()
    }


def candidate_search_query(
    tenant_id: str, tree: Node | None, filters: CandidateFilters | None
) -> dict[str, Any]:
    """The whole query of a candidate search (or a saved search's stored query)."""
    must: list[dict[str, Any]] = []
    if tree is None or is_negative_only(tree):
        must.append({"match_all": {}})
    if tree is not None:
        must.append(to_query(tree, CANDIDATE_FIELDS))
    # A document without a version is a stub the pipeline's events made before the
    # candidate's own were indexed: nobody to show yet.
    narrowing: list[dict[str, Any]] = [
        {"term": {"tenant_id": tenant_id}},
        {"exists": {"field": "version"}},
    ]
    narrowing.extend(filters.clauses() if filters else [])
    return {"bool": {"must": must, "filter": narrowing}}
