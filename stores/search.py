"""OpenSearch: index definitions (versioned names behind aliases) and the adapter."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError

from core.settings import Settings
from domain.pipeline import CLOSED_STAGES, PIPELINE_STAGES
from domain.query_syntax import Node
from stores import percolator, requisition_index
from stores.index_aliases import ensure_alias
from stores.search_query import CandidateFilters, candidate_search_query, facet_aggregations
from stores.versioned_bulk import index_versioned

CANDIDATE_INDEX_VERSION = 1

CANDIDATE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant_id": {"type": "keyword"},
        "id": {"type": "keyword"},
        "full_name": {"type": "text", "analyzer": "english"},
        "first_name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "last_name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "headline": {"type": "text", "analyzer": "english"},
        "skills": {"type": "text", "analyzer": "english", "fields": {"raw": {"type": "keyword"}}},
        "emails": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "status": {"type": "keyword"},
        "owner_id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "city": {"type": "keyword"},
        "country": {"type": "keyword"},
        "remote": {"type": "boolean"},
        "available_from": {"type": "date"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "version": {"type": "integer"},
        "resume_text": {"type": "text", "analyzer": "english"},
        "skill_keys": {"type": "keyword"},
        "employers": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "work_titles": {"type": "text", "analyzer": "english"},
        "skill_years": {"type": "object", "enabled": False},
        "rate_amount": {"type": "scaled_float", "scaling_factor": 100},
        "rate_currency": {"type": "keyword"},
        "rate_unit": {"type": "keyword"},
        "salary_amount": {"type": "scaled_float", "scaling_factor": 100},
        "salary_currency": {"type": "keyword"},
        # Folded in from the pipeline's events (see PIPELINE_SCRIPT): each submission's
        # stage and version, kept but not indexed, and the counts derived from them.
        "submissions": {"type": "object", "enabled": False},
        "stage_counts": {"properties": {stage: {"type": "integer"} for stage in PIPELINE_STAGES}},
        "stages": {"type": "keyword"},
        "active_submissions": {"type": "integer"},
    },
}

# A candidate's document is replaced by each newer snapshot but keeps what arrives on
# events of its own (resume text, the pipeline's counts); an older snapshot changes
# nothing. The same script writes over a pipeline-only stub (no version yet).
UPSERT_CANDIDATE_SCRIPT = """
if (ctx._source.version != null && ctx._source.version > params.doc.version) {
  ctx.op = 'none';
  return;
}
def kept = [:];
for (key in params.kept) {
  if (ctx._source.containsKey(key)) { kept[key] = ctx._source[key]; }
}
ctx._source.clear();
ctx._source.putAll(params.doc);
ctx._source.putAll(kept);
"""
KEPT_FIELDS = ["resume_text", "submissions", "stage_counts", "stages", "active_submissions"]

# One submission's stage folded into its candidate's document: a submission's entry only
# moves to a newer version, so redelivered and out-of-order events change nothing, and
# the counts are derived from the entries, never incremented. When the candidate's own
# events have not been indexed yet, this makes a stub (no `version`) that searches skip
# and the candidate's first snapshot fills in.
PIPELINE_SCRIPT = """
if (ctx._source.submissions == null) { ctx._source.submissions = [:]; }
if (ctx._source.tenant_id == null) { ctx._source.tenant_id = params.tenant_id; }
if (ctx._source.id == null) { ctx._source.id = params.candidate_id; }
boolean changed = false;
for (entry in params.entries.entrySet()) {
  def prior = ctx._source.submissions[entry.getKey()];
  if (prior == null || prior.version < entry.getValue().version) {
    ctx._source.submissions[entry.getKey()] = entry.getValue();
    changed = true;
  }
}
if (!changed) { ctx.op = 'none'; return; }
def counts = [:];
int active = 0;
for (s in ctx._source.submissions.values()) {
  counts[s.stage] = counts.getOrDefault(s.stage, 0) + 1;
  if (!params.closed.contains(s.stage)) { active += 1; }
}
ctx._source.stage_counts = counts;
ctx._source.stages = new ArrayList(counts.keySet());
ctx._source.active_submissions = active;
"""
SET_RESUME_SCRIPT = "ctx._source.resume_text = params.text"


@dataclass(frozen=True, slots=True)
class SubmissionStages:
    """Submissions' latest stages, to fold into one candidate's document."""

    tenant_id: str
    candidate_id: str
    # submission id -> {"stage": ..., "version": ...}
    entries: dict[str, dict[str, Any]]


class SearchStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: AsyncOpenSearch | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = AsyncOpenSearch(
                hosts=[self._settings.opensearch_url], timeout=10, max_retries=0
            )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> AsyncOpenSearch:
        if self._client is None:
            raise RuntimeError("SearchStore.start() was not called")
        return self._client

    @property
    def candidates_alias(self) -> str:
        return f"{self._settings.index_prefix}-candidates"

    @property
    def saved_searches_alias(self) -> str:
        return f"{self._settings.index_prefix}-saved-searches"

    @property
    def requisitions_alias(self) -> str:
        return f"{self._settings.index_prefix}-requisitions"

    def candidates_index(self, version: int = CANDIDATE_INDEX_VERSION) -> str:
        return f"{self.candidates_alias}-v{version}"

    async def ping(self) -> None:
        await self.client.cluster.health()

    def candidate_index_body(self, refresh_interval: str | None = None) -> dict[str, Any]:
        return {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "refresh_interval": refresh_interval or self._settings.search_refresh_interval,
            },
            "mappings": CANDIDATE_MAPPINGS,
        }

    async def ensure_indexes(self) -> None:
        """Point each alias at an index, creating the first versioned one if missing."""
        await ensure_alias(
            self.client,
            self.candidates_alias,
            self.candidates_index(),
            self.candidate_index_body(),
        )
        await requisition_index.ensure_index(
            self.client, self.requisitions_alias, self._settings.search_refresh_interval
        )
        await percolator.ensure_index(self.client, self.saved_searches_alias, CANDIDATE_MAPPINGS)

    async def bulk_index_requisitions(self, docs: list[dict[str, Any]]) -> None:
        await index_versioned(self.client, self.requisitions_alias, docs)

    async def search_requisitions(
        self,
        tenant_id: UUID,
        tree: Node | None,
        *,
        filters: list[dict[str, Any]],
        size: int,
        search_after: list[Any] | None,
        recent_first: bool = False,
        facets: bool = False,
    ) -> dict[str, Any]:
        return await requisition_index.search(
            self.client,
            self.requisitions_alias,
            tenant_id,
            tree,
            filters=filters,
            size=size,
            search_after=search_after,
            recent_first=recent_first,
            facets=facets,
        )

    async def bulk_index_candidates(
        self, docs: list[dict[str, Any]], resumes: dict[str, str] | None = None
    ) -> None:
        """Write many candidate documents, then resume texts; versions only move forward."""
        body: list[dict[str, Any]] = []
        created: list[dict[str, Any]] = []
        for doc in docs:
            target = {"_index": self.candidates_alias, "_id": doc["id"]}
            if doc["version"] == 1:
                # A new candidate (all of a bulk import): a plain create, the fast path.
                body.extend(({"create": target}, doc))
                created.append(doc)
                continue
            body.extend(self._upsert(doc))
        for candidate_id, text in (resumes or {}).items():
            body.append(
                {
                    "update": {
                        "_index": self.candidates_alias,
                        "_id": candidate_id,
                        "retry_on_conflict": 3,
                    }
                }
            )
            body.append({"script": {"source": SET_RESUME_SCRIPT, "params": {"text": text}}})
        if not body:
            return
        items = await self._bulk(body, ignore={"create": (409,), "update": (404,)})
        # A create that found a document there: a redelivery, or a stub the pipeline's
        # events made first. Writing it over with the script settles both.
        taken = {
            item["create"]["_id"]
            for item in items
            if "create" in item and item["create"].get("status") == 409
        }
        retry = [part for doc in created if doc["id"] in taken for part in self._upsert(doc)]
        if retry:
            await self._bulk(retry)

    def _upsert(self, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        return (
            {"update": {"_index": self.candidates_alias, "_id": doc["id"], "retry_on_conflict": 3}},
            {
                "script": {
                    "source": UPSERT_CANDIDATE_SCRIPT,
                    "params": {"doc": doc, "kept": KEPT_FIELDS},
                },
                "upsert": doc,
            },
        )

    async def fold_submissions(self, changes: list[SubmissionStages]) -> None:
        """Fold submissions' stages into their candidates' documents (see PIPELINE_SCRIPT)."""
        body: list[dict[str, Any]] = []
        closed = sorted(CLOSED_STAGES)
        for change in changes:
            body.append(
                {
                    "update": {
                        "_index": self.candidates_alias,
                        "_id": change.candidate_id,
                        "retry_on_conflict": 5,
                    }
                }
            )
            body.append(
                {
                    "scripted_upsert": True,
                    "script": {
                        "source": PIPELINE_SCRIPT,
                        "params": {
                            "tenant_id": change.tenant_id,
                            "candidate_id": change.candidate_id,
                            "entries": change.entries,
                            "closed": closed,
                        },
                    },
                    "upsert": {},
                }
            )
        if body:
            await self._bulk(body)

    async def _bulk(
        self, body: list[dict[str, Any]], *, ignore: dict[str, tuple[int, ...]] | None = None
    ) -> list[dict[str, Any]]:
        """Send a bulk request; raise on any failure but those `ignore` names per action."""
        result = await self.client.bulk(body=body)
        items: list[dict[str, Any]] = result["items"]
        if result.get("errors"):
            # 409 on create: the document is there; 404 on a resume: erased since.
            failures = [
                outcome
                for item in items
                for action, outcome in item.items()
                if outcome.get("status", 200) >= 300
                and outcome["status"] not in (ignore or {}).get(action, ())
            ]
            if failures:
                raise RuntimeError(f"bulk indexing failed: {failures[:3]}")
        return items

    async def candidates_with_skills(
        self, tenant_id: UUID, skill_keys: list[str], *, size: int
    ) -> list[dict[str, Any]]:
        """Candidates who may fit: those with any of the skills, most skills first.

        Matching scores them in full; this only finds them. Candidates marked do_not_use
        are left out; with no skills to go by, the most recently updated come back.
        """
        query: dict[str, Any] = {
            "bool": {
                "filter": [
                    {"term": {"tenant_id": str(tenant_id)}},
                    {"exists": {"field": "version"}},
                ],
                "must_not": [{"term": {"status": "do_not_use"}}],
            }
        }
        if skill_keys:
            query["bool"]["should"] = [{"term": {"skill_keys": k}} for k in skill_keys]
            query["bool"]["minimum_should_match"] = 1
        body = {
            "size": size,
            "query": query,
            "sort": [{"_score": "desc"}, {"updated_at": "desc"}],
            "_source": {"excludes": ["resume_text"]},
            "track_total_hits": False,
        }
        result: dict[str, Any] = await self.client.search(index=self.candidates_alias, body=body)
        return [hit["_source"] for hit in result["hits"]["hits"]]

    async def delete_candidate(self, candidate_id: UUID) -> None:
        with contextlib.suppress(NotFoundError, ConflictError):
            await self.client.delete(index=self.candidates_alias, id=str(candidate_id))

    async def search_candidates(
        self,
        tenant_id: UUID,
        tree: Node | None,
        *,
        size: int,
        search_after: list[Any] | None,
        filters: CandidateFilters | None = None,
        recent_first: bool = False,
        facets: bool = False,
    ) -> dict[str, Any]:
        body = candidate_search_body(
            tenant_id,
            tree,
            size=size,
            search_after=search_after,
            filters=filters,
            recent_first=recent_first,
            facets=facets,
        )
        result: dict[str, Any] = await self.client.search(index=self.candidates_alias, body=body)
        return result


def candidate_search_body(
    tenant_id: UUID,
    tree: Node | None,
    *,
    size: int,
    search_after: list[Any] | None,
    filters: CandidateFilters | None = None,
    recent_first: bool = False,
    facets: bool = False,
) -> dict[str, Any]:
    """The OpenSearch request of a candidate search.

    Words next to each other must all match, each anywhere (name, headline, skills,
    resume); AND, OR, NOT, parentheses, phrases and field:value refine it. Filters narrow
    without ranking; the tenant filter is always there.
    """
    order: list[dict[str, Any]] = (
        [{"updated_at": "desc"}, {"id": "asc"}]
        if recent_first
        else [{"_score": "desc"}, {"updated_at": "desc"}, {"id": "asc"}]
    )
    body: dict[str, Any] = {
        "size": size,
        "query": candidate_search_query(str(tenant_id), tree, filters),
        "sort": order,
        "highlight": {"fields": {"headline": {}, "skills": {}, "full_name": {}, "resume_text": {}}},
        "track_total_hits": False,
    }
    if facets and not search_after:
        body["aggs"] = facet_aggregations()
    if search_after:
        body["search_after"] = search_after
    return body
