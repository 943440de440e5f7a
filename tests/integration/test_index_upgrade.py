"""An index made before `location.point` (version 2) or `all_text` (version 5) existed
gets the field when the stores start, so searches run against it at once (its older
documents get a point, and their words in `all_text`, when `refactortrack reindex`
writes them again)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.settings import Settings, get_settings
from domain.geo import Point
from domain.query_syntax import parse_query
from stores.search.candidate_index import ALL_TEXT, CANDIDATE_MAPPINGS
from stores.search.query_dsl import FIELDS
from stores.search.requisitions import REQUISITION_MAPPINGS
from stores.search.store import SearchStore

pytestmark = pytest.mark.stack


@pytest.fixture
def settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


def _before(mappings: dict[str, Any]) -> dict[str, Any]:
    """The mapping as it was at version 1: no `location`."""
    properties = {k: v for k, v in mappings["properties"].items() if k != "location"}
    return {**mappings, "properties": properties}


async def test_a_version_1_index_gets_the_point_field_at_start(settings: Settings) -> None:
    prefix = f"{settings.index_prefix}-upgrade-{uuid.uuid4().hex[:6]}"
    search = SearchStore(settings.model_copy(update={"index_prefix": prefix}))
    await search.start()
    client = search.client
    try:
        for alias, mappings in (
            (search.candidates_alias, CANDIDATE_MAPPINGS),
            (search.requisitions_alias, REQUISITION_MAPPINGS),
        ):
            await client.indices.create(index=f"{alias}-v1", body={"mappings": _before(mappings)})
            await client.indices.put_alias(index=f"{alias}-v1", name=alias)
        await search.ensure_indexes()
        for alias in (search.candidates_alias, search.requisitions_alias):
            found = await client.indices.get_mapping(index=alias)
            # Still the old index behind the alias, now with the field.
            [(name, body)] = found.items()
            assert name == f"{alias}-v1"
            point = body["mappings"]["properties"]["location"]["properties"]["point"]
            assert point == {"type": "geo_point"}
        # A radius search runs against it (and finds nobody until the reindex).
        answer = await search.search_candidates(
            uuid.uuid4(),
            None,
            size=10,
            search_after=None,
            sort="distance",
            near=Point(48.1, 11.6),
            radius_km=50,
        )
        assert answer["hits"]["hits"] == []
    finally:
        await client.indices.delete(index=f"{prefix}-*")
        await search.stop()


def _before_all_text(mappings: dict[str, Any]) -> dict[str, Any]:
    """The mapping as it was at version 4: no `all_text`, nothing copied into it."""
    properties = {
        name: {k: v for k, v in field.items() if k != "copy_to"}
        for name, field in mappings["properties"].items()
        if name != ALL_TEXT
    }
    return {**mappings, "properties": properties}


async def test_a_version_4_index_gets_all_text_at_start_and_new_writes_fill_it(
    settings: Settings,
) -> None:
    prefix = f"{settings.index_prefix}-upgrade-{uuid.uuid4().hex[:6]}"
    search = SearchStore(settings.model_copy(update={"index_prefix": prefix}))
    await search.start()
    client = search.client
    tenant = uuid.uuid4()
    try:
        alias = search.candidates_alias
        old = _before_all_text(CANDIDATE_MAPPINGS)
        await client.indices.create(index=f"{alias}-v4", body={"mappings": old})
        await client.indices.put_alias(index=f"{alias}-v4", name=alias)
        written_before = {"id": str(uuid.uuid4()), "tenant_id": str(tenant), "version": 1}
        await client.index(
            index=alias,
            id=written_before["id"],
            body={**written_before, "work_descriptions": ["ported the wombat ledger"]},
            refresh=True,
        )
        await search.ensure_indexes()
        [(name, body)] = (await client.indices.get_mapping(index=alias)).items()
        # Still the old index behind the alias, now with the field and the copies.
        assert name == f"{alias}-v4"
        properties = body["mappings"]["properties"]
        assert properties[ALL_TEXT]["type"] == "text"
        assert properties["work_descriptions"]["copy_to"] == [ALL_TEXT]
        written_after = {"id": str(uuid.uuid4()), "tenant_id": str(tenant), "version": 1}
        await client.index(
            index=alias,
            id=written_after["id"],
            body={**written_after, "work_descriptions": ["ported the wombat billing"]},
            refresh=True,
        )
        answer = await search.search_candidates(
            tenant, parse_query("wombat", FIELDS), size=10, search_after=None
        )
        # A document written since is found by a word in its jobs; one written before
        # only once `refactortrack reindex` writes it again (into a version 5 index).
        assert [h["_id"] for h in answer["hits"]["hits"]] == [written_after["id"]]
    finally:
        await client.indices.delete(index=f"{prefix}-*")
        await search.stop()
