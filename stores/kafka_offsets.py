"""A consumer group's committed offsets and members, read and written from outside it.

For a worker that moves agents from one group to another (app/follower_offsets.py): the
new group starts where the old one stood. Logged in as the worker principal, whose ACLs
cover its own groups (READ on WORKER_ID and the `WORKER_ID-` prefix: read, describe and
commit) and the topics it reads (topics/access.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError
from aiokafka.protocol.group import ProtocolMetadata
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from core.settings import Settings
from stores.errors import unavailable_on
from stores.kafka_auth import client_options

ERRORS = (KafkaConnectionError, asyncio.TimeoutError, OSError)
# (topic, partition): aiokafka's TopicPartition is one, and callers outside stores/ need
# not import the driver.
Partition = tuple[str, int]


class OffsetsRefused(RuntimeError):
    """The broker would not take the offsets: most often the group has members now."""


@dataclass(frozen=True)
class GroupMember:
    member_id: str
    client_host: str
    # What the member subscribed to when it joined (its consumer protocol metadata).
    topics: frozenset[str]


class GroupOffsets:
    """`async with GroupOffsets(settings) as groups: ...` as the worker principal."""

    def __init__(self, settings: Settings) -> None:
        self._options = client_options(settings, settings.kafka_login("worker"))
        self._admin = AIOKafkaAdminClient(**self._options, request_timeout_ms=15_000)

    async def __aenter__(self) -> GroupOffsets:
        with unavailable_on("kafka", ERRORS):
            await self._admin.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._admin.close()

    async def partitions(self, topics: Iterable[str]) -> list[Partition]:
        """Every partition of these topics (a topic that does not exist has none)."""
        wanted = set(topics)
        with unavailable_on("kafka", ERRORS):
            described = await self._admin.describe_topics(sorted(wanted))
        found: list[Partition] = []
        for topic in described:
            if topic["error_code"] == 0 and topic["topic"] in wanted:
                found.extend((topic["topic"], p["partition"]) for p in topic["partitions"])
        return sorted(found)

    async def committed(self, group: str, partitions: list[Partition]) -> dict[Partition, int]:
        """The group's committed offsets on these partitions; a partition without is absent."""
        if not partitions:
            return {}
        asked = [TopicPartition(topic, partition) for topic, partition in partitions]
        with unavailable_on("kafka", ERRORS):
            found = await self._admin.list_consumer_group_offsets(group, partitions=asked)
        # Kafka answers -1 for a partition the group never committed.
        return {(tp.topic, tp.partition): m.offset for tp, m in found.items() if m.offset >= 0}

    async def members(self, group: str) -> list[GroupMember]:
        """Who is in the group now, with the topics each subscribed to."""
        with unavailable_on("kafka", ERRORS):
            responses = await self._admin.describe_consumer_groups([group])
        members = []
        for response in responses:
            for described in response.to_object()["groups"]:
                for member in described["members"]:
                    topics: frozenset[str] = frozenset()
                    if member["member_metadata"]:
                        decoded = ProtocolMetadata.decode(member["member_metadata"])
                        topics = frozenset(decoded.subscription)
                    members.append(GroupMember(member["member_id"], member["client_host"], topics))
        return members

    async def commit(self, group: str, offsets: dict[Partition, int]) -> None:
        """Commit these offsets for the group, from outside it: the broker takes them only
        while the group has no member (raises OffsetsRefused otherwise)."""
        if not offsets:
            return
        consumer = AIOKafkaConsumer(**self._options, group_id=group, enable_auto_commit=False)
        with unavailable_on("kafka", ERRORS):
            await consumer.start()
        try:
            given = {
                TopicPartition(t, p): OffsetAndMetadata(o, "") for (t, p), o in offsets.items()
            }
            consumer.assign(list(given))
            await consumer.commit(given)
        except KafkaError as exc:
            raise OffsetsRefused(f"group {group} refused the offsets: {exc!r}") from exc
        finally:
            await consumer.stop()
