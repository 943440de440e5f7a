"""Saved searches as stored queries (OpenSearch percolator), matched against candidates.

Each saved search is a document holding its query; percolating a batch of freshly
indexed candidate documents returns the saved searches each one matches. The index
maps the candidate fields too, so the queries read the documents as the candidate
index does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError

from stores.search.aliases import ensure_alias
from stores.search.sizing import IndexSizing

SAVED_SEARCH_INDEX_VERSION = 1
PERCOLATE_BATCH = 500


def percolator_mappings(candidate_mappings: dict[str, Any]) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            **candidate_mappings["properties"],
            "query": {"type": "percolator"},
            "saved_search_id": {"type": "keyword"},
            "owner": {"type": "keyword"},
            "name": {"type": "keyword"},
        },
    }


async def ensure_index(
    client: AsyncOpenSearch, alias: str, candidate_mappings: dict[str, Any], sizing: IndexSizing
) -> None:
    # Candidate fields added later reach this mapping too, so queries can name them.
    await ensure_alias(
        client,
        alias,
        f"{alias}-v{SAVED_SEARCH_INDEX_VERSION}",
        {
            "settings": sizing.settings(),
            "mappings": percolator_mappings(candidate_mappings),
        },
    )


async def put_saved_search(
    client: AsyncOpenSearch,
    alias: str,
    *,
    saved_search_id: UUID,
    tenant_id: UUID,
    owner: str,
    name: str,
    query: dict[str, Any],
) -> None:
    await client.index(
        index=alias,
        id=str(saved_search_id),
        body={
            "query": query,
            "tenant_id": str(tenant_id),
            "saved_search_id": str(saved_search_id),
            "owner": owner,
            "name": name,
        },
        refresh=True,  # so the next candidate indexed is checked against it
    )


async def delete_saved_search(client: AsyncOpenSearch, alias: str, saved_search_id: UUID) -> None:
    with contextlib.suppress(NotFoundError):
        await client.delete(index=alias, id=str(saved_search_id), refresh=True)


async def matching_saved_searches(
    client: AsyncOpenSearch, alias: str, tenant_id: str, docs: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], list[str]]]:
    """Each of the tenant's saved searches some of `docs` match, with those docs' ids."""
    found: list[tuple[dict[str, Any], list[str]]] = []
    for start in range(0, len(docs), PERCOLATE_BATCH):
        chunk = list(docs[start : start + PERCOLATE_BATCH])
        result = await client.search(
            index=alias,
            body={
                "size": 1000,
                "_source": ["saved_search_id", "owner", "name"],
                "query": {
                    "bool": {
                        "filter": [{"term": {"tenant_id": tenant_id}}],
                        "must": [{"percolate": {"field": "query", "documents": chunk}}],
                    }
                },
            },
        )
        for hit in result["hits"]["hits"]:
            slots = hit.get("fields", {}).get("_percolator_document_slot", [])
            found.append((hit["_source"], [chunk[i]["id"] for i in slots]))
    return found
