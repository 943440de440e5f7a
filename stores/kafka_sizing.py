"""How big a topic the app creates is: partitions, replicas and min.insync.replicas, from
the settings (KAFKA_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS).

One place for both creators, the migration's topic bootstrap (stores/kafka.py) and the
admin client's (stores/kafka_admin.py, integrations' topics), so that no topic of the
system is created smaller than the others.
"""

from __future__ import annotations

from aiokafka.admin import NewTopic

from core.settings import Settings

MIN_INSYNC_REPLICAS = "min.insync.replicas"


def topic_config(settings: Settings, config: dict[str, str] | None = None) -> dict[str, str]:
    """`config` plus the durability the settings ask for: with acks=all a write is
    acknowledged once min.insync.replicas replicas have it."""
    return {**(config or {}), MIN_INSYNC_REPLICAS: str(settings.kafka_min_insync_replicas)}


def new_topic(
    settings: Settings,
    name: str,
    config: dict[str, str] | None = None,
    *,
    partitions: int | None = None,
) -> NewTopic:
    """A topic to create, sized by the settings (`partitions` for the few that differ)."""
    return NewTopic(
        name=name,
        num_partitions=partitions or settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
        topic_configs=topic_config(settings, config),
    )
