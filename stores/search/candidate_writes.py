"""Writes to the candidate index: snapshots, resume texts, submissions' stages, removals."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError

from domain.pipeline import CLOSED_STAGES
from domain.skills import text_skill_keys
from stores.search.candidate_scripts import (
    KEPT_FIELDS,
    PIPELINE_SCRIPT,
    SET_RESUME_SCRIPT,
    UPSERT_CANDIDATE_SCRIPT,
)


@dataclass(frozen=True, slots=True)
class SubmissionStages:
    """Submissions' latest stages, to fold into one candidate's document."""

    tenant_id: str
    candidate_id: str
    # submission id -> {"stage": ..., "version": ...}
    entries: dict[str, dict[str, Any]]


async def index_candidates(
    client: AsyncOpenSearch,
    index: str,
    docs: list[dict[str, Any]],
    resumes: dict[str, str] | None = None,
) -> None:
    """Write many candidate documents, then resume texts; versions only move forward."""
    body: list[dict[str, Any]] = []
    created: list[dict[str, Any]] = []
    for doc in docs:
        target = {"_index": index, "_id": doc["id"]}
        if doc["version"] == 1:
            # A new candidate (all of a bulk import): a plain create, the fast path.
            body.extend(({"create": target}, doc))
            created.append(doc)
            continue
        body.extend(_upsert(index, doc))
    for candidate_id, text in (resumes or {}).items():
        body.append({"update": {"_index": index, "_id": candidate_id, "retry_on_conflict": 3}})
        params = {"text": text, "skill_keys": text_skill_keys(text)}
        body.append({"script": {"source": SET_RESUME_SCRIPT, "params": params}})
    if not body:
        return
    items = await bulk(client, body, ignore={"create": (409,), "update": (404,)})
    # A create that found a document there: a redelivery, or a stub the pipeline's
    # events made first. Writing it over with the script settles both.
    taken = {
        item["create"]["_id"]
        for item in items
        if "create" in item and item["create"].get("status") == 409
    }
    retry = [part for doc in created if doc["id"] in taken for part in _upsert(index, doc)]
    if retry:
        await bulk(client, retry)


def _upsert(index: str, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        {"update": {"_index": index, "_id": doc["id"], "retry_on_conflict": 3}},
        {
            "script": {
                "source": UPSERT_CANDIDATE_SCRIPT,
                "params": {"doc": doc, "kept": KEPT_FIELDS},
            },
            "upsert": doc,
        },
    )


async def fold_submissions(
    client: AsyncOpenSearch, index: str, changes: list[SubmissionStages]
) -> None:
    """Fold submissions' stages into their candidates' documents (see PIPELINE_SCRIPT)."""
    body: list[dict[str, Any]] = []
    closed = sorted(CLOSED_STAGES)
    for change in changes:
        body.append(
            {"update": {"_index": index, "_id": change.candidate_id, "retry_on_conflict": 5}}
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
        await bulk(client, body)


async def delete_candidate(client: AsyncOpenSearch, index: str, candidate_id: UUID) -> None:
    with contextlib.suppress(NotFoundError, ConflictError):
        await client.delete(index=index, id=str(candidate_id))


async def bulk(
    client: AsyncOpenSearch,
    body: list[dict[str, Any]],
    *,
    ignore: dict[str, tuple[int, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Send a bulk request; raise on any failure but those `ignore` names per action."""
    result = await client.bulk(body=body)
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
