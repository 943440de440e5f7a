"""OpenSearch: index definitions (versioned names behind aliases) and the adapter."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError

from core.settings import Settings

CANDIDATE_INDEX_VERSION = 1
CANDIDATE_TEXT_FIELDS = ["full_name^3", "headline^2", "skills^2", "first_name", "last_name"]

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
    },
}


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

    def candidates_index(self, version: int = CANDIDATE_INDEX_VERSION) -> str:
        return f"{self.candidates_alias}-v{version}"

    async def ping(self) -> None:
        await self.client.cluster.health()

    async def ensure_indexes(self) -> None:
        """Create the current versioned index and point the alias at it, if missing."""
        alias, index = self.candidates_alias, self.candidates_index()
        if not await self.client.indices.exists(index=index):
            try:
                await self.client.indices.create(
                    index=index,
                    body={
                        "settings": {
                            "number_of_shards": 1,
                            "number_of_replicas": 0,
                            "refresh_interval": self._settings.search_refresh_interval,
                        },
                        "mappings": CANDIDATE_MAPPINGS,
                    },
                )
            except Exception as exc:  # another process created it first
                if "resource_already_exists" not in str(exc):
                    raise
        else:
            # Settings that may change without a reindex follow the configuration.
            await self.client.indices.put_settings(
                index=index,
                body={"index": {"refresh_interval": self._settings.search_refresh_interval}},
            )
        if not await self.client.indices.exists_alias(name=alias):
            await self.client.indices.update_aliases(
                body={"actions": [{"add": {"index": index, "alias": alias}}]}
            )

    async def bulk_index_candidates(self, docs: list[dict[str, Any]]) -> None:
        """Index many documents; a document's version only moves forward."""
        if not docs:
            return
        body: list[dict[str, Any]] = []
        for doc in docs:
            body.append(
                {
                    "index": {
                        "_index": self.candidates_alias,
                        "_id": doc["id"],
                        "version": doc["version"],
                        "version_type": "external_gte",
                    }
                }
            )
            body.append(doc)
        result = await self.client.bulk(body=body)
        if result.get("errors"):
            failures = [
                item["index"]
                for item in result["items"]
                # 409: an equal or newer version is already there, which is what we want.
                if item["index"].get("status", 200) >= 300 and item["index"].get("status") != 409
            ]
            if failures:
                raise RuntimeError(f"bulk indexing failed: {failures[:3]}")

    async def delete_candidate(self, candidate_id: UUID) -> None:
        with contextlib.suppress(NotFoundError, ConflictError):
            await self.client.delete(index=self.candidates_alias, id=str(candidate_id))

    async def search_candidates(
        self, tenant_id: UUID, text: str, *, size: int, search_after: list[Any] | None
    ) -> dict[str, Any]:
        # Every word must match somewhere (name, headline or a skill), as recruiters expect
        # of a search box; words may match in different fields.
        must: list[dict[str, Any]] = [
            {"multi_match": {"query": word, "fields": CANDIDATE_TEXT_FIELDS}}
            for word in text.split()
        ] or [{"match_all": {}}]
        body: dict[str, Any] = {
            "size": size,
            "query": {"bool": {"must": must, "filter": [{"term": {"tenant_id": str(tenant_id)}}]}},
            "sort": [{"_score": "desc"}, {"id": "asc"}],
            "highlight": {"fields": {"headline": {}, "skills": {}, "full_name": {}}},
            "track_total_hits": False,
        }
        if search_after:
            body["search_after"] = search_after
        result: dict[str, Any] = await self.client.search(index=self.candidates_alias, body=body)
        return result
