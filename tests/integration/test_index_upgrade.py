"""An index made before `location.point` existed gets the field when the stores start,
so radius searches run against it at once (its older documents get a point when
`refactortrack reindex` writes them again)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.settings import Settings, get_settings
from domain.geo import Point
from stores.search.candidate_index import CANDIDATE_MAPPINGS
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
