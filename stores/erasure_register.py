"""Reading the erasure register (topics/erasures.py) whole, as the jobs principal.

Partitions are assigned by hand and read from the beginning to the end offsets taken at
the start, so a read needs no consumer group and ends: what is erased while it runs is
erased by the workers anyway.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError

from core.settings import Settings
from stores.errors import unavailable_on
from stores.kafka_auth import client_options
from topics.erasures import ErasureRecord
from topics.names import ERASURES

log = logging.getLogger(__name__)


async def read_register(settings: Settings) -> list[ErasureRecord]:
    """Every erasure the register holds, the latest for each person, oldest first."""
    topic = ERASURES.name(settings.topic_namespace)
    consumer = AIOKafkaConsumer(
        **client_options(settings, settings.kafka_login("jobs")),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    latest: dict[bytes, ErasureRecord] = {}
    with unavailable_on("kafka", (KafkaConnectionError, KafkaError)):
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
            if not partitions:
                return []
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            left = {tp for tp in partitions if ends[tp] > 0}
            while left:
                batches = await consumer.getmany(*left, timeout_ms=1000)
                for messages in batches.values():
                    for message in messages:
                        _keep(latest, message.key, message.value)
                for tp in list(left):
                    if await consumer.position(tp) >= ends[tp]:
                        left.discard(tp)
        finally:
            await consumer.stop()
    return sorted(latest.values(), key=lambda r: r.erased_at)


async def _partitions(settings: Settings, topic: str) -> list[int]:
    """The topic's partition numbers, asked of the broker (a consumer with no group keeps
    metadata only for topics it subscribed to); DESCRIBE on the topic is enough."""
    admin = AIOKafkaAdminClient(**client_options(settings, settings.kafka_login("jobs")))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        int(p["partition"])
        for t in described
        if t.get("topic") == topic and not t.get("error_code")
        for p in t.get("partitions", [])
    )


def _keep(latest: dict[bytes, ErasureRecord], key: bytes | None, value: bytes | None) -> None:
    if key is None or value is None:
        return
    try:
        latest[key] = ErasureRecord.model_validate_json(value)
    except ValidationError:
        # Not one of ours (the topic is written by the workers alone): passed over, said.
        log.warning("the erasure register holds an unreadable record under %r", key[:80])
