"""The command producers (the gateway's, the jobs') and the topic bootstrap.

Each client logs in as the principal its caller names (stores/kafka_auth.py): the
gateway's producer as the gateway, the jobs' as the jobs principal, the topic bootstrap
as the admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from core.errors import Unavailable
from core.settings import KafkaLogin, Settings
from stores.kafka_auth import client_options
from stores.kafka_sizing import new_topic, topic_config
from topics.names import COMMAND_TOPICS, EVENT_TOPICS, INTERNAL_TOPICS, integrations_dlq

log = logging.getLogger(__name__)

LOG_APPEND_TIME = 1
"""Kafka's timestamp type of a message stamped by the broker when it appended it."""
KNOWN_DOWN_SECONDS = 2.0
"""After a failed publish, refuse at once for this long rather than pile up waiting."""


def _cannot_connect(login: KafkaLogin, exc: BaseException) -> str:
    """Log, and return for an operator, as whom we failed to connect.

    aiokafka reports a refused login only in its own log ("SaslAuthenticationFailed ...
    invalid credentials") and then fails the bootstrap like an unreachable broker.
    """
    why = (
        f"cannot connect to Kafka as {login.username!r} ({exc}); if the log shows "
        f"SaslAuthenticationFailed, the broker refused KAFKA_{login.role.upper()}_PASSWORD"
    )
    log.warning(why)
    return why


class CommandPublisher:
    """Publishes command envelopes and returns only once the broker has acknowledged them.

    Never waits long: past `wait_seconds` the caller is told Unavailable, and for a short
    while after a failure every publish is refused at once rather than queued behind a
    broker that is known to be away.
    """

    def __init__(self, settings: Settings, login: KafkaLogin) -> None:
        self._settings = settings
        self._login = login
        self._producer: AIOKafkaProducer | None = None
        self._connecting = asyncio.Lock()
        self._wait = settings.command_publish_seconds
        self._down_until = 0.0

    async def start(self) -> None:
        await self.ensure_connected()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ensure_connected(self) -> None:
        """Connect if not yet connected: the broker may come up after the gateway."""
        if self._producer is not None:
            return
        async with self._connecting:
            if self._producer is not None:
                return
            producer = AIOKafkaProducer(
                **client_options(self._settings, self._login),
                acks="all",
                enable_idempotence=True,
                linger_ms=1,
                request_timeout_ms=10_000,
            )
            try:
                await asyncio.wait_for(producer.start(), timeout=self._wait)
            except Exception as exc:
                await producer.stop()
                _cannot_connect(self._login, exc)
                # An API client learns no more than that: the log has the rest.
                raise Unavailable("the broker cannot be reached") from None
            self._producer = producer

    async def publish(
        self,
        topic: str,
        key: str,
        value: bytes,
        headers: list[tuple[str, bytes]] | None = None,
        *,
        wait: float | None = None,
    ) -> datetime | None:
        """Publish and wait for the broker's acknowledgement, at most `wait` seconds.

        Returns when the broker appended the message (its log-append time; None on a topic
        that keeps the producer's time). Raises Unavailable past the wait, or at once while
        the broker is known to be away.
        """
        if time.monotonic() < self._down_until:
            raise Unavailable("the broker is unavailable; retry shortly")
        try:
            async with asyncio.timeout(self._wait if wait is None else wait):
                await self.ensure_connected()
                assert self._producer is not None
                sent = await self._producer.send_and_wait(
                    topic, value=value, key=key.encode(), headers=headers
                )
        except (KafkaError, TimeoutError) as exc:
            self._down_until = time.monotonic() + KNOWN_DOWN_SECONDS
            log.warning("publishing to %s failed: %r", topic, exc)
            raise Unavailable("the broker did not take the command in time; retry") from None
        if sent.timestamp_type != LOG_APPEND_TIME or sent.timestamp < 0:
            return None
        return datetime.fromtimestamp(sent.timestamp / 1000, tz=UTC)

    async def ping(self) -> None:
        await self.ensure_connected()
        assert self._producer is not None
        await self._producer.client.fetch_all_metadata()


class BatchPublisher:
    """Publishes many messages without waiting on each; `flush` waits for every ack.

    For jobs that send thousands of commands (imports, demo data): the producer batches
    them, and nothing is reported sent before the broker has it.
    """

    def __init__(self, settings: Settings, login: KafkaLogin) -> None:
        self._login = login
        self._producer = AIOKafkaProducer(
            **client_options(settings, login),
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
            max_batch_size=1 << 20,
        )

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as exc:
            await self._producer.stop()
            raise Unavailable(_cannot_connect(self._login, exc)) from None

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Queue one message; the broker may not have it until `flush` returns."""
        await self._producer.send(topic, value, key=key)

    async def flush(self) -> None:
        await self._producer.flush()


HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# Every topic keeps what it holds for a stated time, because a command or an event can carry
# personal data: erasure removes it from the stores at once and from a topic when it ages
# out. Compacted topics instead keep the latest record of each key until it is tombstoned.

# Command topics: a command is handled within seconds; three days leave room to replay a
# weekend's outage. Stamped by the broker, so a worker compares a command's deadline with a
# clock it can trust.
COMMANDS = {"message.timestamp.type": "LogAppendTime", "retention.ms": str(3 * DAY_MS)}

# Dead letters wait for an operator: two weeks to look, fix and replay.
DEAD_LETTERS = {"retention.ms": str(14 * DAY_MS)}

# Event streams that are not compacted (pipeline moves, an agency's integration feed):
# a week for a consumer to catch up after an outage.
EVENTS = {"retention.ms": str(7 * DAY_MS)}

# Compacted topics roll segments hourly so an erasure's tombstone takes effect within hours,
# not after the default week.
COMPACTED = {
    "cleanup.policy": "compact",
    "segment.ms": str(HOUR_MS),
    "min.cleanable.dirty.ratio": "0.1",
    "delete.retention.ms": str(HOUR_MS),
}


def topic_layout(namespace: str) -> list[tuple[str, dict[str, str]]]:
    """Every topic of the contract with its broker config: commands, their DLQs, events,
    and where the integration gate puts what it refuses (the worker may write it, not
    create it)."""
    layout: list[tuple[str, dict[str, str]]] = []
    for spec in (*COMMAND_TOPICS, *EVENT_TOPICS, *INTERNAL_TOPICS):
        config = COMPACTED if spec.compacted else COMMANDS if spec in COMMAND_TOPICS else EVENTS
        layout.append((spec.name(namespace), config))
    layout.extend((spec.dlq(namespace), DEAD_LETTERS) for spec in COMMAND_TOPICS)
    layout.append((integrations_dlq(namespace), DEAD_LETTERS))
    return layout


async def ensure_topics(settings: Settings) -> list[str]:
    """Create every topic of the contract, sized by the settings; returns those created.

    As the admin: no other principal may create or reconfigure the contract's topics.
    """
    admin = AIOKafkaAdminClient(**client_options(settings, settings.kafka_login("admin")))
    await admin.start()
    created: list[str] = []
    try:
        existing = set(await admin.list_topics())
        wanted = [
            new_topic(settings, name, config)
            for name, config in topic_layout(settings.topic_namespace)
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
            created = [t.name for t in wanted]
        # Topics made before a config was part of the contract get it now (min.insync
        # too: unlike partitions and replicas, it changes in place).
        reconfigure = [
            ConfigResource(ConfigResourceType.TOPIC, name, configs=topic_config(settings, config))
            for name, config in topic_layout(settings.topic_namespace)
            if name in existing
        ]
        if reconfigure:
            await admin.alter_configs(reconfigure)
    finally:
        await admin.close()
    return created
