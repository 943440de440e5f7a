"""The recruiter's query tree (domain.query_syntax) as OpenSearch queries, filters, facets."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.query_syntax import And, Node, Not, Or, Term
from domain.skills import SkillSearch, skill_key, skill_search, spellings
from stores.search.candidate_index import ALL_TEXT


@dataclass(frozen=True)
class FieldMap:
    """What `field:value` may name in one index, and the index field each searches.

    Text fields are analysed (stemmed, any case); keyword fields match the whole value,
    in any case. `default` are the fields a bare word searches, with their boosts.
    `skill_keys` are where the index keeps skills by key (domain.skills.skill_key), read
    from wherever they are written, and `skills_list` the text of the skills list: with
    them a bare word the vocabulary knows is searched as the skill (`_skill`); without,
    as words. `combined` is the field holding the words of every field a bare word
    searches (`default` then names it beside the few boosted fields alone): a skill's
    words are looked up there, in one field.
    """

    text: dict[str, str]
    keyword: dict[str, str]
    default: list[str]
    skill_keys: dict[str, float] = dataclasses.field(default_factory=dict)
    skills_list: str | None = None
    combined: str | None = None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.text) | frozenset(self.keyword)


# Where a candidate's skills are kept by key, and how much finding one there counts: a
# listed skill most, one named in the headline or a job next, one in the resume's text
# least, as matching reads them. A search adds up the places a skill is written (listed,
# and the headline says it: the person's focus); the pool of people matching scores
# (candidate_queries.skill_pool_body) counts them alike.
CANDIDATE_SKILL_PLACES: dict[str, float] = {
    "skill_keys": 3.0,
    "headline_skill_keys": 2.0,
    "work_skill_keys": 2.0,
    "resume_skill_keys": 1.5,
}
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
    # A bare word: the boosted fields (a name, the headline, the skills list) alone, and
    # the rest in one, `all_text` (work titles, employers, descriptions, resume; the names
    # and the boosted ones too: copy_to, candidate_index.ALL_TEXT). Four fields searched
    # rather than nine: a word is four postings to walk, not nine.
    default=["full_name^3", "headline^2", "skills^2", ALL_TEXT],
    skill_keys=CANDIDATE_SKILL_PLACES,
    skills_list="skills",
    combined=ALL_TEXT,
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
    if term.prefix:
        return _prefix(term, fields)
    if term.field in fields.keyword:
        field = fields.keyword[term.field]
        return {"term": {field: {"value": term.text, "case_insensitive": True}}}
    if term.field is None and not term.phrase and fields.skill_keys:
        skill = skill_search(term.text)
        if skill is not None:
            return _skill(skill, fields)
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


# The spellings' BM25 orders people whose skill is written in the same places: how often
# and how prominently the fields searched say it. It is scaled down by a boost rather
# than squeezed by a script, so OpenSearch can skip the documents that cannot reach the
# page (block-max WAND; a script scores every match: 700 of 830 ms at 1M candidates).
# Scaled, it stays below the smallest step between two sums of places (0.5) up to a BM25
# of BM25_CEILING: the spellings' summed BM25 measured on the bench agency stays far
# below it (bench/search_profile.py), and a linear scale keeps the order within a place.
BM25_CEILING = 100.0
TEXT_SHARE = 0.25
TEXT_BOOST = TEXT_SHARE / BM25_CEILING


def _skill(skill: SkillSearch, fields: FieldMap) -> dict[str, Any]:
    """A bare word the vocabulary knows (`k8s`, `Python`, `Go`): whoever has the skill.

    Found by key wherever it is written (any written form in the skills list, "Python 3"
    or "ReactJS"; the headline, a job's title or description, the resume), so a skill
    mentioned only in a job's description counts, and an ordinary word in prose ("the
    go-to person", "Spring 2019") does not, as the vocabulary reads it; and by the
    spellings the analyser reads as the skill in a skills list the vocabulary could not
    read ("Python/Django"). Scored by the places it is written (`skill_keys`' weights,
    added up), whatever the written form, then by the BM25 of its spellings (scaled by
    TEXT_BOOST): in the skills list, and in `combined`, the words of every field.
    """
    places: list[dict[str, Any]] = [
        {"constant_score": {"filter": {"term": {field: skill.key}}, "boost": weight}}
        for field, weight in fields.skill_keys.items()
    ]
    if fields.skills_list:
        places.extend(
            {
                "match": {
                    fields.skills_list: {
                        "query": s,
                        "operator": "and",
                        "boost": 2.0 * TEXT_BOOST,
                    }
                }
            }
            for s in skill.in_list
        )
    found: dict[str, Any] = {"bool": {"should": places, "minimum_should_match": 1}}
    if not skill.in_text:
        return found
    # The spellings in running text only order who the keys found: a spelling the
    # analyser reads as the skill is one the vocabulary read into a key where it indexes
    # text, so as a clause that matches it would find (almost) nobody new and would be
    # walked over every document that says it. Scoring, it is only read for the matches.
    words = [_in_combined(s, fields) for s in skill.in_text]
    text = {"bool": {"should": words, "boost": TEXT_BOOST}}
    return {"bool": {"must": [found], "should": [text]}}


def _in_combined(spelling: str, fields: FieldMap) -> dict[str, Any]:
    """A skill's spelling in running text: in the one combined field if there is one."""
    if fields.combined is None:
        return _text(spelling, None, " " in spelling, fields)
    if " " in spelling:
        return {"match_phrase": {fields.combined: spelling}}
    return {"match": {fields.combined: {"query": spelling, "operator": "and"}}}


# How many of the index's words one prefix may stand for, per field searched: `java*`
# finds Java and JavaScript, and a short common prefix cannot blow up into thousands of
# clauses (the shortest prefix allowed is domain.query_syntax.MIN_PREFIX).
MAX_EXPANSIONS = 50


def _prefix(term: Term, fields: FieldMap) -> dict[str, Any]:
    """`java*`: the words that start with `java`, in the fields the term searches."""
    if term.field in fields.keyword:
        field = fields.keyword[term.field]
        return {"prefix": {field: {"value": term.text, "case_insensitive": True}}}
    if term.field is None:
        return {
            "multi_match": {
                "query": term.text,
                "fields": fields.default,
                "type": "phrase_prefix",
                "max_expansions": MAX_EXPANSIONS,
            }
        }
    field = fields.text[term.field]
    return {"match_phrase_prefix": {field: {"query": term.text, "max_expansions": MAX_EXPANSIONS}}}


# The English analyser's stop words: a plain query's "and" or "the" names nothing a
# candidate could cover, so it does not count among the terms ranked by coverage.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


def coverage_terms(tree: Node | None) -> list[Term] | None:
    """The terms of a plain query (`python kubernetes terraform`), or None if it is not one.

    Plain: two or more words or quoted phrases (a `java*` prefix counts) side by side,
    with no operator (an `AND` written out asks for every part) and no `field:`; stop
    words left out, repeats counted once. Such a query is ranked by coverage
    (`coverage_query`); any other keeps its boolean meaning.
    """
    if isinstance(tree, Term):
        parts: tuple[Node, ...] = (tree,)
    elif isinstance(tree, And) and not tree.explicit:
        parts = tree.parts
    else:
        return None
    if not all(isinstance(p, Term) and p.field is None for p in parts):
        return None
    terms = [
        p
        for p in parts
        if isinstance(p, Term) and (p.phrase or p.prefix or p.text.lower() not in STOP_WORDS)
    ]
    unique: dict[tuple[str, bool, bool], Term] = {}
    for t in terms:
        unique.setdefault((t.text.lower(), t.phrase, t.prefix), t)
    return list(unique.values()) if len(unique) >= 2 else None


def term_label(term: Term) -> str:
    """How a term is named back in a hit's reasons: as it was written."""
    if term.phrase:
        return f'"{term.text}"'
    return f"{term.text}*" if term.prefix else term.text


# A covered term counts 1 (a function_score's constant weight, added to the term's own
# score); its own score (BM25, or a skill's places) is scaled to TERM_SHARE / n of itself
# per BM25_CEILING: together below one covered term up to that ceiling, so the text only
# orders candidates who cover the same number of terms. No script runs per document.
# (A constant_score of the term beside the scaled term would let OpenSearch skip more,
# but it doubles the clauses: a hundred words would pass the index's limit of 1024.)
TERM_SHARE = 1.0


def coverage_query(terms: list[Term], fields: FieldMap) -> dict[str, Any]:
    """Anyone with at least one of the terms, ranked first by how many they have.

    Each term found adds 1 plus its own score scaled below 1/n (TERM_SHARE; a
    function_score named after the term, so a hit says which it matched): the sum is the
    number of terms covered, then the text relevance. So someone with every skill named
    outranks someone who repeats one of them a hundred times, and among people with the
    same share of the query the better text match comes first. Each term is one clause,
    as in a boolean query, so a long plain query stays within the index's clause limit.
    A term's other spellings (k8s, golang) count as the term.
    """
    relevance = TERM_SHARE / len(terms) / BM25_CEILING
    return {
        "bool": {
            "should": [
                {
                    "function_score": {
                        "query": {"bool": {"must": [to_query(t, fields)], "boost": relevance}},
                        "functions": [{"weight": 1.0}],
                        "boost_mode": "sum",
                        "_name": term_label(t),
                    }
                }
                for t in terms
            ],
            "minimum_should_match": 1,
        }
    }


def ranked_query(tree: Node, fields: FieldMap) -> dict[str, Any]:
    """The scoring part of an interactive search: by coverage for a plain query, else
    the boolean query as written."""
    terms = coverage_terms(tree)
    return coverage_query(terms, fields) if terms else to_query(tree, fields)


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
    tenant_id: str,
    tree: Node | None,
    filters: CandidateFilters | None,
    *,
    by_coverage: bool = False,
    extra_filters: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The whole query of a candidate search (or a saved search's stored query).

    `by_coverage`: a plain query of several words matches anyone with one of them,
    most covered first (a recruiter's search). Without it (a saved search's alert, a
    yes or no with no ranking) every word must match.
    """
    must: list[dict[str, Any]] = []
    if tree is None or is_negative_only(tree):
        must.append({"match_all": {}})
    if tree is not None:
        must.append(
            ranked_query(tree, CANDIDATE_FIELDS)
            if by_coverage
            else to_query(tree, CANDIDATE_FIELDS)
        )
    # A document without a version is a stub the pipeline's events made before the
    # candidate's own were indexed: nobody to show yet.
    narrowing: list[dict[str, Any]] = [
        {"term": {"tenant_id": tenant_id}},
        {"exists": {"field": "version"}},
    ]
    narrowing.extend(filters.clauses() if filters else [])
    narrowing.extend(extra_filters)
    return {"bool": {"must": must, "filter": narrowing}}
