"""Integrations that publish commands to Kafka: made, listed and revoked by operators.

Each integration is a Kafka principal of its own, with ACLs that let it write only its
own command topic and read only its agency's event topic; the worker's gate applies
what it writes as its agency and role (agents/integrations/gate.py).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from core.settings import Settings
from domain.permissions import DEFAULT_INTEGRATION_SCOPES, INTEGRATION_ROLES, parse_scopes
from stores.kafka import COMMANDS, EVENTS
from stores.kafka_admin import KafkaAdmin
from stores.postgres import integrations as repo
from stores.postgres.database import Database
from stores.postgres.users import find_tenant
from topics.access import integration_grants
from topics.names import agency_events, integration_commands

USERNAME_PREFIX = "rt-int-"


@dataclass(frozen=True)
class IntegrationCredentials:
    """What an integration is given, once: how to log in and where it may write and read."""

    integration_id: str
    tenant_id: str
    name: str
    role: str
    scopes: Sequence[str]
    username: str
    password: str
    bootstrap_servers: str
    security_protocol: str
    sasl_mechanism: str
    command_topic: str
    event_topic: str
    consumer_group_prefix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def create_integration(
    settings: Settings,
    *,
    tenant: str,
    name: str,
    role: str = "recruiter",
    scopes: Iterable[str] | None = None,
) -> IntegrationCredentials:
    """Make an integration of the agency `tenant`: its Kafka principal, its topics and ACLs,
    and its entry in the registry. Raises LookupError for an unknown agency, ValueError for
    a role or scope that is not allowed."""
    if role not in INTEGRATION_ROLES:
        raise ValueError(f"role must be one of {', '.join(INTEGRATION_ROLES)}")
    granted = sorted(parse_scopes(scopes) if scopes is not None else DEFAULT_INTEGRATION_SCOPES)
    db = Database(settings)
    await db.start()
    try:
        async with db.read() as conn:
            tenant_id = await find_tenant(conn, tenant)
        if tenant_id is None:
            raise LookupError(f"no agency '{tenant}'")
        integration_id = uuid.uuid4()
        username = f"{USERNAME_PREFIX}{integration_id}"
        password = secrets.token_urlsafe(32)
        ns = settings.topic_namespace
        commands = integration_commands(str(integration_id), ns)
        events = agency_events(tenant_id, ns)
        grants = integration_grants(ns, str(integration_id), str(tenant_id))
        async with KafkaAdmin(settings) as admin:
            await admin.create_topics([commands], config=COMMANDS)
            await admin.create_topics([events], config=EVENTS)
            await admin.upsert_scram_user(username, password)
            await admin.create_acls(username, grants)
            try:
                async with db.transaction() as conn:
                    await repo.insert_integration(
                        conn,
                        id=integration_id,
                        tenant_id=tenant_id,
                        name=name,
                        role=role,
                        scopes=granted,
                        kafka_username=username,
                    )
            except BaseException:
                # Not registered: the gate would refuse it anyway, but leave no login behind.
                await admin.delete_all_acls(username)
                await admin.delete_scram_user(username)
                raise
            await admin.wait_for_scram_users([username])
            await admin.wait_for_acls(username, grants)
    finally:
        await db.stop()
    return IntegrationCredentials(
        integration_id=str(integration_id),
        tenant_id=str(tenant_id),
        name=name,
        role=role,
        scopes=granted,
        username=username,
        password=password,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        security_protocol=settings.kafka_security_protocol,
        sasl_mechanism=settings.kafka_sasl_mechanism,
        command_topic=commands,
        event_topic=events,
        consumer_group_prefix=commands.removesuffix("commands"),
    )


async def list_integrations(settings: Settings, tenant: str) -> Sequence[dict[str, Any]] | None:
    """The agency's integrations (no secrets), or None when there is no such agency."""
    db = Database(settings)
    await db.start()
    try:
        async with db.read() as conn:
            tenant_id = await find_tenant(conn, tenant)
            return None if tenant_id is None else await repo.list_integrations(conn, tenant_id)
    finally:
        await db.stop()


async def revoke_integration(settings: Settings, integration_id: UUID) -> bool:
    """End an integration: its Kafka login and ACLs are removed, the gate refuses it.

    False when there is no live integration of that id."""
    db = Database(settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            revoked = await repo.revoke_integration(conn, integration_id)
        if revoked is None:
            return False
        async with KafkaAdmin(settings) as admin:
            await admin.delete_all_acls(revoked["kafka_username"])
            await admin.delete_scram_user(revoked["kafka_username"])
        return True
    finally:
        await db.stop()
