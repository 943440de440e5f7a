"""The sizing settings reach what the migration creates on the real broker and node."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from core.settings import Settings, get_settings
from stores.search.store import SearchStore
from tests.support import admin_options, own_namespace

pytestmark = pytest.mark.stack


@pytest.fixture
def settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


async def test_topics_get_the_partitions_and_min_insync_of_the_settings(
    settings: Settings,
) -> None:
    # The local broker is alone: a replication factor of 1 is all it can hold.
    sized = settings.model_copy(update={"kafka_partitions": 3, "kafka_min_insync_replicas": 1})
    async with own_namespace(sized, "rt-sizing") as own:
        topic = f"{own.topic_namespace}.candidates.commands"
        admin = AIOKafkaAdminClient(**admin_options(settings))
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
            configs = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)]
            )
        finally:
            await admin.close()
    assert len(described["partitions"]) == 3
    assert all(len(p["replicas"]) == 1 for p in described["partitions"])
    entries = {entry[0]: entry[1] for entry in configs[0].resources[0][4]}
    assert entries["min.insync.replicas"] == "1"


async def test_indexes_get_the_shards_and_replicas_of_the_settings(settings: Settings) -> None:
    prefix = f"{settings.index_prefix}-sizing-{uuid.uuid4().hex[:6]}"
    sized = settings.model_copy(
        update={"index_prefix": prefix, "search_shards": 2, "search_replicas": 0}
    )
    search = SearchStore(sized)
    await search.start()
    try:
        await search.ensure_indexes()
        answer = await search.client.indices.get_settings(index=f"{prefix}-*")
        await search.create_loading_index(search.candidates_index(99))
        loading = await search.client.indices.get_settings(index=search.candidates_index(99))
    finally:
        await search.client.indices.delete(index=f"{prefix}-*")
        await search.stop()
    sizes = {
        name: (
            body["settings"]["index"]["number_of_shards"],
            body["settings"]["index"]["number_of_replicas"],
        )
        for name, body in (answer | loading).items()
    }
    assert len(sizes) == 4  # candidates, requisitions, saved searches, and the rebuild's
    assert set(sizes.values()) == {("2", "0")}
