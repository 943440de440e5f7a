"""A consumer group's committed offsets and members, read and written from outside it.

For a worker that moves agents from one group to another (app/follower_offsets.py): the
new group starts where the old one stood. Logged in as the worker principal, whose ACLs
cover its own groups (READ on WORKER_ID and the `WORKER_ID-` prefix: read, describe and
commit) and the topics it reads (topics/access.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError
from aiokafka.protocol.group import ProtocolMetadata
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from core.settings import Settings
from stores.errors import unavailable_on
from stores.kafka_auth import client_options

log = logging.getLogger(__name__)

ERRORS = (KafkaConnectionError, asyncio.TimeoutError, OSError)
# A broker that has just started has no `__consumer_offsets` yet: it makes the topic on the
# first group request and answers "coordinator not available" (or "loading") until its
# partitions have leaders, some seconds on a fresh machine. Those answers are retriable;
# past this the broker is not coming, and the caller is told it is unavailable.
COORDINATOR_WAIT_SECONDS = 60.0
RETRY_SECONDS = 0.5
T = TypeVar("T")
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
            found = await _retrying(
                lambda: self._admin.list_consumer_group_offsets(group, partitions=asked)
            )
        # Kafka answers -1 for a partition the group never committed.
        return {(tp.topic, tp.partition): m.offset for tp, m in found.items() if m.offset >= 0}

    async def members(self, group: str) -> list[GroupMember]:
        """Who is in the group now, with the topics each subscribed to."""
        with unavailable_on("kafka", ERRORS):
            responses = await _retrying(lambda: self._admin.describe_consumer_groups([group]))
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


async def _retrying(
    call: Callable[[], Awaitable[T]],
    wait_seconds: float = COORDINATOR_WAIT_SECONDS,
    retry_seconds: float = RETRY_SECONDS,
) -> T:
    """`call()` again while the broker answers a retriable error (its group coordinator
    still loading), for up to `wait_seconds`; then the error is the broker being away."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await call()
        except KafkaError as exc:
            # A broker that is away is said at once (ERRORS); only its "not yet" is waited on.
            if not exc.retriable or isinstance(exc, ERRORS):
                raise
            if time.monotonic() > deadline:
                raise KafkaConnectionError(f"the broker still answers {exc!r}") from exc
            log.info("kafka: %r; asking again in %.1fs", exc, retry_seconds)
            await asyncio.sleep(retry_seconds)
