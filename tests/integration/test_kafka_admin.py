"""stores/kafka_admin.py against the real broker: SCRAM users, ACLs, topics, principals."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from core.settings import KafkaLogin, Settings, get_settings
from stores.kafka_admin import KafkaAdmin, KafkaAdminError, ScramCredential
from stores.kafka_auth import client_options
from topics.access import Grant

pytestmark = pytest.mark.stack


@pytest.fixture
def settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[KafkaAdmin]:
    async with KafkaAdmin(settings) as made:
        yield made


@pytest.fixture
async def username(admin: KafkaAdmin) -> AsyncIterator[str]:
    """A user name of this test's own; whatever the test made for it is removed after."""
    name = f"rt-test-{uuid.uuid4().hex[:10]}"
    yield name
    await admin.delete_all_acls(name)
    await admin.delete_scram_user(name)


async def _logs_in(settings: Settings, username: str, password: str) -> bool:
    login = KafkaLogin("test", username, SecretStr(password))
    client = AIOKafkaAdminClient(**client_options(settings, login), request_timeout_ms=5000)
    try:
        await client.start()
    except KafkaConnectionError:
        return False
    finally:
        await client.close()
    return True


async def _eventually_logs_in(settings: Settings, username: str, password: str) -> bool:
    """A credential reaches the broker shortly after the controller commits it."""
    deadline = time.monotonic() + 15
    while not await _logs_in(settings, username, password):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def test_a_user_made_with_a_password_logs_in_with_it(
    settings: Settings, admin: KafkaAdmin, username: str
) -> None:
    assert await admin.describe_scram_users([username]) == {username: []}
    await admin.upsert_scram_user(username, "first-password")
    await admin.wait_for_scram_users([username])
    assert await admin.describe_scram_users([username]) == {
        username: [ScramCredential(settings.kafka_sasl_mechanism, 8192)]
    }
    assert await _eventually_logs_in(settings, username, "first-password")
    assert not await _logs_in(settings, username, "wrong-password")


async def test_a_new_password_replaces_the_old_and_deletion_locks_out(
    settings: Settings, admin: KafkaAdmin, username: str
) -> None:
    await admin.upsert_scram_user(username, "old-password")
    assert await _eventually_logs_in(settings, username, "old-password")
    await admin.upsert_scram_user(username, "new-password")
    assert await _eventually_logs_in(settings, username, "new-password")
    assert not await _logs_in(settings, username, "old-password")

    assert await admin.delete_scram_user(username) is True
    deadline = time.monotonic() + 15
    while await _logs_in(settings, username, "new-password"):
        assert time.monotonic() < deadline, "a deleted user still logs in"
        await asyncio.sleep(0.2)
    assert await admin.delete_scram_user(username) is False


async def test_an_empty_password_is_refused_before_the_broker(
    admin: KafkaAdmin, username: str
) -> None:
    with pytest.raises(ValueError, match="empty password"):
        await admin.upsert_scram_user(username, "")


async def test_acls_are_created_described_and_deleted(
    admin: KafkaAdmin, username: str, settings: Settings
) -> None:
    prefix = f"{settings.topic_namespace}.acl-{uuid.uuid4().hex[:6]}"
    grants = [
        Grant("topic", "literal", f"{prefix}.a", "read"),
        Grant("topic", "literal", f"{prefix}.a", "describe"),
        Grant("topic", "prefixed", f"{prefix}.b.", "write"),
        Grant("group", "prefixed", f"{prefix}.", "read"),
        Grant("cluster", "literal", "kafka-cluster", "idempotent_write"),
    ]
    assert await admin.create_acls(username, grants) == 5
    # Again: nothing new, nothing twice.
    assert await admin.create_acls(username, grants) == 5
    await admin.wait_for_acls(username, grants)

    described = await admin.describe_principal(username)
    assert described.username == username
    assert described.credentials == []  # ACLs need no credential, and make none
    assert described.grants == sorted(grants)
    assert described.other_acls == []

    assert await admin.delete_acls(username, grants[:2]) == 2
    assert await admin.delete_acls(username, grants[:2]) == 0
    assert await admin.delete_all_acls(username) == 3
    assert (await admin.describe_principal(username)).grants == []


async def test_topics_are_created_once(admin: KafkaAdmin, settings: Settings) -> None:
    names = [f"{settings.topic_namespace}.admin-{uuid.uuid4().hex[:6]}.{n}" for n in "ab"]
    try:
        assert await admin.create_topics(names, partitions=2) == names
        assert await admin.create_topics(names) == []
        assert set(names) <= set(await admin.list_topics())
    finally:
        await admin.delete_topics(names)


async def test_only_the_admin_administers(settings: Settings, username: str) -> None:
    async with KafkaAdmin(settings, settings.kafka_login("worker")) as worker:
        with pytest.raises(KafkaAdminError, match="ClusterAuthorizationFailed"):
            await worker.create_acls(username, [Grant("topic", "literal", "x", "read")])
        with pytest.raises(KafkaAdminError, match="ClusterAuthorizationFailed"):
            await worker.upsert_scram_user(username, "a-password")
        with pytest.raises(KafkaAdminError, match="ClusterAuthorizationFailed"):
            await worker.describe_scram_users([username])
