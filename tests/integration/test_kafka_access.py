"""The broker admits only logged-in principals, and each only to what topics/access.py grants.

Against the real broker of the local stack: nothing here is mocked, since what is tested
is what Kafka itself enforces with the ACLs `refactortrack migrate` writes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from core.errors import Unavailable
from core.settings import KafkaLogin, KafkaRole, Settings, get_settings
from stores.kafka import CommandPublisher
from stores.kafka_access import SERVICE_ROLES, grant_access, service_grants
from stores.kafka_admin import KafkaAdmin
from stores.kafka_auth import client_options
from tests.support import own_namespace
from topics.access import integration_grants
from topics.names import (
    ANALYTICS_BY_TENANT,
    CANDIDATE_COMMANDS,
    CANDIDATE_EVENTS,
    ERASURES,
    agency_events,
    integration_commands,
)

pytestmark = pytest.mark.stack


@pytest.fixture
async def settings() -> AsyncIterator[Settings]:
    """A namespace of this test's own, with the service principals' ACLs for it."""
    get_settings.cache_clear()
    async with own_namespace(get_settings(), "rt-acl") as own:
        yield own


async def _producer(settings: Settings, login: KafkaLogin, **extra: Any) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(**client_options(settings, login), request_timeout_ms=5000, **extra)
    await producer.start()
    return producer


async def _write(settings: Settings, login: KafkaLogin, topic: str) -> None:
    """Produce one record as `login`; the broker's refusal raises."""
    producer = await _producer(settings, login, acks="all")
    try:
        await producer.send_and_wait(topic, b"{}", key=b"k")
    finally:
        await producer.stop()


async def _read(
    settings: Settings, login: KafkaLogin, topic: str, group_id: str | None = None
) -> list[bytes]:
    """Every record of `topic` as `login` (a few seconds' worth); a refusal raises."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings, login),
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=5000,
    )
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()
        raise
    try:
        values: list[bytes] = []
        for _ in range(6):
            batch = await consumer.getmany(timeout_ms=500)
            values.extend(r.value for records in batch.values() for r in records)
            if values:
                break
        return values
    finally:
        await consumer.stop()


async def _listeners(settings: Settings) -> list[tuple[str, int]]:
    """host:port of every listener of every broker, from the brokers' own configuration."""
    listeners = []
    async with KafkaAdmin(settings) as admin:
        for broker in await admin.broker_ids():
            config = await admin.broker_config(broker)
            for listener in (config["listeners"] or "").split(","):
                host, port = listener.split("://", 1)[1].rsplit(":", 1)
                # An empty host or 0.0.0.0 listens everywhere, loopback included.
                listeners.append((host if host not in ("", "0.0.0.0") else "127.0.0.1", int(port)))
    return listeners


async def test_no_listener_admits_a_client_that_does_not_log_in(settings: Settings) -> None:
    listeners = await _listeners(settings)
    assert len(listeners) == 2, listeners  # the clients' and the controller's
    for host, port in listeners:
        plain = {"bootstrap_servers": f"{host}:{port}", "request_timeout_ms": 5000}
        producer = AIOKafkaProducer(**plain)
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.stop()
        consumer = AIOKafkaConsumer(CANDIDATE_EVENTS.name(settings.topic_namespace), **plain)
        with pytest.raises(KafkaConnectionError):
            await consumer.start()
        await consumer.stop()


async def test_a_wrong_password_is_refused(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    right = settings.kafka_login("gateway")
    wrong = KafkaLogin("gateway", right.username, SecretStr(f"not-{uuid.uuid4().hex}"))
    producer = AIOKafkaProducer(**client_options(settings, wrong))
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    # The gateway's publisher answers 503 (Unavailable) and its log names the login.
    caplog.clear()
    with pytest.raises(Unavailable):
        await CommandPublisher(settings, wrong).start()
    assert "SaslAuthenticationFailed" in caplog.text
    assert f"cannot connect to Kafka as {right.username!r}" in caplog.text
    assert "KAFKA_GATEWAY_PASSWORD" in caplog.text
    # An unknown user fares no better.
    stranger = KafkaLogin("gateway", f"nobody-{uuid.uuid4().hex[:8]}", right.password)
    with pytest.raises(Unavailable):
        await CommandPublisher(settings, stranger).start()


async def test_the_gateway_writes_commands_and_nothing_else(settings: Settings) -> None:
    gateway = settings.kafka_login("gateway")
    ns = settings.topic_namespace
    publisher = CommandPublisher(settings, gateway)
    await publisher.start()
    try:
        await publisher.publish(CANDIDATE_COMMANDS.name(ns), "k", b"{}")
    finally:
        await publisher.stop()
    for topic in (CANDIDATE_EVENTS.name(ns), ANALYTICS_BY_TENANT.name(ns)):
        with pytest.raises(TopicAuthorizationFailedError):
            await _write(settings, gateway, topic)
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(settings, gateway, CANDIDATE_EVENTS.name(ns))
    # Not even its own commands: it writes them, the worker reads them.
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(settings, gateway, CANDIDATE_COMMANDS.name(ns))


async def test_the_jobs_principal_writes_commands_and_reads_the_erasure_register_only(
    settings: Settings,
) -> None:
    jobs = settings.kafka_login("jobs")
    ns = settings.topic_namespace
    await _write(settings, jobs, CANDIDATE_COMMANDS.name(ns))
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(settings, jobs, CANDIDATE_EVENTS.name(ns))
    # The register is the worker's to write and the jobs' to read (erasures reapply).
    register = ERASURES.name(ns)
    await _write(settings, settings.kafka_login("worker"), register)
    assert await _read(settings, jobs, register)
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(settings, jobs, register)
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(settings, jobs, CANDIDATE_EVENTS.name(ns))


async def test_the_worker_reads_commands_and_writes_events(settings: Settings) -> None:
    worker = settings.kafka_login("worker")
    ns = settings.topic_namespace
    await _write(settings, settings.kafka_login("gateway"), CANDIDATE_COMMANDS.name(ns))
    assert await _read(settings, worker, CANDIDATE_COMMANDS.name(ns), group_id=settings.worker_id)
    await _write(settings, worker, CANDIDATE_EVENTS.name(ns))
    # The worker writes commands as well (the integration gate forwards them), but never
    # an integration's own topic (see below).
    await _write(settings, worker, CANDIDATE_COMMANDS.name(ns))
    # Its groups are its own: another group name is refused.
    with pytest.raises(GroupAuthorizationFailedError):
        await _read(settings, worker, CANDIDATE_EVENTS.name(ns), group_id=f"x-{uuid.uuid4()}")


@pytest.fixture
async def integration(settings: Settings) -> AsyncIterator[tuple[KafkaLogin, str, uuid.UUID]]:
    """An integration principal of one agency, set up as the integrations CLI would."""
    ns = settings.topic_namespace
    integration_id = f"board-{uuid.uuid4().hex[:8]}"
    tenant = uuid.uuid4()
    login = KafkaLogin("integration", f"rt-int-{integration_id}", SecretStr(uuid.uuid4().hex))
    grants = integration_grants(ns, integration_id, str(tenant))
    async with KafkaAdmin(settings) as admin:
        await admin.create_topics(
            [integration_commands(integration_id, ns), agency_events(tenant, ns)]
        )
        await admin.upsert_scram_user(login.username, login.password.get_secret_value())
        await admin.create_acls(login.username, grants)
        await admin.wait_for_scram_users([login.username])
        await admin.wait_for_acls(login.username, grants)
    try:
        yield login, integration_id, tenant
    finally:
        async with KafkaAdmin(settings) as admin:
            await admin.delete_all_acls(login.username)
            await admin.delete_scram_user(login.username)


async def test_an_integration_topic_is_written_by_its_integration_alone(
    settings: Settings, integration: tuple[KafkaLogin, str, uuid.UUID]
) -> None:
    login, integration_id, _ = integration
    ns = settings.topic_namespace
    commands = integration_commands(integration_id, ns)
    await _write(settings, login, commands)
    worker = settings.kafka_login("worker")
    # The worker reads every integration's commands (a prefix ACL) ...
    assert await _read(settings, worker, commands)
    # ... but may not write one: that would be publishing in the integration's name.
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(settings, worker, commands)
    others: tuple[KafkaRole, ...] = ("gateway", "jobs")
    for other in others:
        with pytest.raises(TopicAuthorizationFailedError):
            await _write(settings, settings.kafka_login(other), commands)


async def test_an_agency_topic_is_written_by_the_worker_and_read_by_its_integrations(
    settings: Settings, integration: tuple[KafkaLogin, str, uuid.UUID]
) -> None:
    login, integration_id, tenant = integration
    ns = settings.topic_namespace
    events = agency_events(tenant, ns)
    await _write(settings, settings.kafka_login("worker"), events)
    # With a consumer group under its own prefix, as an integration keeps its offsets.
    group = f"{ns}.integrations.{integration_id}.sync"
    assert await _read(settings, login, events, group_id=group)
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(settings, login, events)
    # Another agency's events are not the integration's to read.
    other = agency_events(uuid.uuid4(), ns)
    async with KafkaAdmin(settings) as admin:
        await admin.create_topics([other])
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(settings, login, other)
    # Nor the domain's events, which hold every agency's records.
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(settings, login, CANDIDATE_EVENTS.name(ns))


async def test_migrate_twice_changes_nothing(settings: Settings) -> None:
    async with KafkaAdmin(settings) as admin:
        before = {
            role: (await admin.describe_acls(settings.kafka_username(role)))[0]
            for role in SERVICE_ROLES
        }
    await asyncio.gather(grant_access(settings), grant_access(settings))
    async with KafkaAdmin(settings) as admin:
        for role, grants in service_grants(settings).items():
            have, other = await admin.describe_acls(settings.kafka_username(role))
            assert have == before[role]
            assert set(grants) <= set(have)
            assert not other
