"""The OpenSearch adapter: one client, started and stopped with its process, and every
call the rest of the system makes on the search indexes.

A server that cannot be reached leaves every method as `StoreUnavailable`. A search
built from a client's input that the node refuses (malformed, or too many clauses once
expanded) leaves as `BadQuery` (stores/search/refusals.py), so the caller answers 400.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from core.settings import Settings
from domain.geo import Point
from domain.query_syntax import Node
from stores.connections import opensearch_options
from stores.errors import translated
from stores.search import candidate_index, candidate_writes, requisitions, saved_searches
from stores.search.aliases import ensure_alias
from stores.search.candidate_queries import (
    candidate_facets_body,
    candidate_search_body,
    skill_pool_body,
)
from stores.search.candidate_writes import SubmissionStages
from stores.search.query_dsl import CandidateFilters, candidate_search_query
from stores.search.refusals import refusals_translated
from stores.search.requisitions import RequisitionFilters
from stores.search.sizing import IndexSizing
from stores.search.sorting import SortName
from stores.search.versioned import index_versioned

# Refused, reset or timed out: the node is down or too busy to answer.
unreachable = translated("opensearch", (OpenSearchConnectionError,))


class SearchStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: AsyncOpenSearch | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = AsyncOpenSearch(
                **opensearch_options(self._settings), timeout=10, max_retries=0
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

    def candidates_index(self, version: int = candidate_index.CANDIDATE_INDEX_VERSION) -> str:
        return f"{self.candidates_alias}-v{version}"

    @unreachable
    async def ping(self) -> None:
        await self.client.cluster.health()

    # -- administration ------------------------------------------------------------

    @unreachable
    async def ensure_indexes(self) -> None:
        """Point each alias at an index, creating the first versioned one if missing."""
        sizing = IndexSizing.from_settings(self._settings)
        await ensure_alias(
            self.client,
            self.candidates_alias,
            self.candidates_index(),
            candidate_index.candidate_index_body(self._settings.search_refresh_interval, sizing),
        )
        await requisitions.ensure_index(
            self.client, self.requisitions_alias, self._settings.search_refresh_interval, sizing
        )
        await saved_searches.ensure_index(
            self.client, self.saved_searches_alias, candidate_index.CANDIDATE_MAPPINGS, sizing
        )

    @unreachable
    async def create_loading_index(self, index: str) -> None:
        """A new candidate index for a rebuild, not refreshed while it loads."""
        await candidate_index.create_loading_index(
            self.client, index, IndexSizing.from_settings(self._settings)
        )

    @unreachable
    async def open_for_search(self, index: str) -> None:
        await candidate_index.open_for_search(
            self.client, index, self._settings.search_refresh_interval
        )

    @unreachable
    async def candidate_segments(self) -> int:
        """How many segments the live candidate index is in (all shards)."""
        found = await self.client.cat.segments(index=self.candidates_alias, format="json")
        return len(found)

    @unreachable
    async def merge_candidate_segments(self, index: str | None = None) -> int:
        """Merge the candidate index's segments after a load (the live one by default);
        returns how many it has now (candidate_index.merge_segments)."""
        return await candidate_index.merge_segments(self.client, index or self.candidates_alias)

    @unreachable
    async def move_candidates_alias(self, index: str) -> list[str]:
        """Searches read `index` from now on; returns the indexes they read before."""
        return await candidate_index.move_alias(self.client, self.candidates_alias, index)

    @unreachable
    async def delete_index(self, index: str) -> None:
        await candidate_index.delete_index(self.client, index)

    # -- candidates ----------------------------------------------------------------

    @unreachable
    async def bulk_index_candidates(
        self, docs: list[dict[str, Any]], resumes: dict[str, str] | None = None
    ) -> None:
        """Write many candidate documents, then resume texts; versions only move forward."""
        await candidate_writes.index_candidates(self.client, self.candidates_alias, docs, resumes)

    @unreachable
    async def write_candidates(
        self, index: str, docs: list[dict[str, Any]], *, versioned: bool = True
    ) -> None:
        """Whole documents into `index` (a rebuild); `versioned=False` overwrites."""
        await index_versioned(self.client, index, docs, versioned=versioned)

    @unreachable
    async def fold_submissions(self, changes: list[SubmissionStages]) -> None:
        """Fold submissions' stages into their candidates' documents."""
        await candidate_writes.fold_submissions(self.client, self.candidates_alias, changes)

    @unreachable
    async def delete_candidate(self, candidate_id: UUID) -> None:
        await candidate_writes.delete_candidate(self.client, self.candidates_alias, candidate_id)

    @unreachable
    async def candidates_with_skills(
        self,
        tenant_id: UUID,
        skill_keys: list[str],
        *,
        size: int,
        required: list[str] | None = None,
        near: Point | None = None,
        within_km: float | None = None,
    ) -> list[dict[str, Any]]:
        """Candidates who may fit a requisition: those with any of the skills, wherever
        written, the required ones and local people first (`skill_pool_body`)."""
        body = skill_pool_body(
            tenant_id, skill_keys, size=size, required=required, near=near, within_km=within_km
        )
        result: dict[str, Any] = await self.client.search(index=self.candidates_alias, body=body)
        return [hit["_source"] for hit in result["hits"]["hits"]]

    @unreachable
    @refusals_translated
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
        sort: SortName | None = None,
        near: Point | None = None,
        radius_km: float | None = None,
        with_hits: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> dict[str, Any]:
        """The page of hits (and on a first page the facets, as `aggregations`).

        `with_hits` is given the hits as soon as they come, while the facets may still be
        being counted: the gateway starts a search's audit entry (which names the ids
        found) there, to be written meanwhile instead of after. If the facets fail, or
        `with_hits` raises, the other is abandoned and the failure raised.
        """
        body = candidate_search_body(
            tenant_id,
            tree,
            size=size,
            search_after=search_after,
            filters=filters,
            recent_first=recent_first,
            sort=sort,
            near=near,
            radius_km=radius_km,
        )
        alias = self.candidates_alias
        if not facets or search_after:
            result: dict[str, Any] = await self.client.search(index=alias, body=body)
            if with_hits is not None:
                await with_hits(result)
            return result
        # The first page: the hits and the facets as two requests at once (see
        # candidate_facets_body), answered as one.
        counting = asyncio.ensure_future(
            self.client.search(index=alias, body=candidate_facets_body(body), request_cache=True)
        )
        # Abandoned when the hits fail: its own failure is then nobody's to report.
        counting.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            hits: dict[str, Any] = await self.client.search(index=alias, body=body)
            if with_hits is not None:
                await with_hits(hits)
            counted: dict[str, Any] = await counting
        finally:
            counting.cancel()
        return {**hits, "aggregations": counted["aggregations"]}

    # -- requisitions --------------------------------------------------------------

    @unreachable
    async def bulk_index_requisitions(
        self, docs: list[dict[str, Any]], *, versioned: bool = True
    ) -> None:
        await index_versioned(self.client, self.requisitions_alias, docs, versioned=versioned)

    @unreachable
    @refusals_translated
    async def search_requisitions(
        self,
        tenant_id: UUID,
        tree: Node | None,
        *,
        filters: RequisitionFilters,
        size: int,
        search_after: list[Any] | None,
        recent_first: bool = False,
        facets: bool = False,
        sort: SortName | None = None,
        near: Point | None = None,
        radius_km: float | None = None,
    ) -> dict[str, Any]:
        return await requisitions.search(
            self.client,
            self.requisitions_alias,
            tenant_id,
            tree,
            filters=filters,
            size=size,
            search_after=search_after,
            recent_first=recent_first,
            facets=facets,
            sort=sort,
            near=near,
            radius_km=radius_km,
        )

    # -- saved searches ------------------------------------------------------------

    @unreachable
    @refusals_translated
    async def put_saved_search(
        self,
        *,
        saved_search_id: UUID,
        tenant_id: UUID,
        owner: str,
        name: str,
        tree: Node | None,
        filters: CandidateFilters,
    ) -> None:
        """Keep a saved search's query, to match candidates against as they are indexed."""
        await saved_searches.put_saved_search(
            self.client,
            self.saved_searches_alias,
            saved_search_id=saved_search_id,
            tenant_id=tenant_id,
            owner=owner,
            name=name,
            query=candidate_search_query(str(tenant_id), tree, filters),
        )

    @unreachable
    async def delete_saved_search(self, saved_search_id: UUID) -> None:
        await saved_searches.delete_saved_search(
            self.client, self.saved_searches_alias, saved_search_id
        )

    @unreachable
    async def matching_saved_searches(
        self, tenant_id: str, docs: Sequence[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], list[str]]]:
        """Each of the agency's saved searches some of `docs` match, with those docs' ids."""
        return await saved_searches.matching_saved_searches(
            self.client, self.saved_searches_alias, tenant_id, docs
        )
