"""The principals and ACLs of one deployment (or test namespace), written from the settings.

`refactortrack migrate` calls `grant_access` as the admin: it sets the SCRAM credential of
each principal whose password this process knows (locally all of them, from the state
dir's secrets.env; in compose none, since the broker's first start made them), then
allows each principal what topics/access.py grants it for TOPIC_NAMESPACE and WORKER_ID,
and waits until the broker enforces it. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.settings import KafkaRole, Settings
from stores.kafka_admin import KafkaAdmin
from topics.access import Grant, command_writer_grants, jobs_grants, worker_grants

# The principals migrate looks after; the admin is the broker's super user and is made
# when the broker's storage is formatted.
SERVICE_ROLES: tuple[KafkaRole, ...] = ("gateway", "worker", "jobs")


def service_grants(settings: Settings) -> dict[KafkaRole, list[Grant]]:
    """What each service principal may do in this namespace, from topics/access.py."""
    ns = settings.topic_namespace
    return {
        "gateway": command_writer_grants(ns),
        "worker": worker_grants(ns, settings.worker_id),
        "jobs": jobs_grants(ns),
    }


@dataclass
class AccessReport:
    credentials_set: list[str] = field(default_factory=list)
    # Principals whose password this process does not have: their credential is left as
    # the broker has it (compose makes them when the broker first starts).
    credentials_left: list[str] = field(default_factory=list)
    acls: int = 0


async def grant_access(settings: Settings) -> AccessReport:
    report = AccessReport()
    grants = service_grants(settings)
    async with KafkaAdmin(settings) as admin:
        for role in SERVICE_ROLES:
            username = settings.kafka_username(role)
            if settings.has_kafka_password(role):
                login = settings.kafka_login(role)
                await admin.upsert_scram_user(username, login.password.get_secret_value())
                report.credentials_set.append(username)
            else:
                report.credentials_left.append(username)
        for role, role_grants in grants.items():
            report.acls += await admin.create_acls(settings.kafka_username(role), role_grants)
        if report.credentials_set:
            await admin.wait_for_scram_users(report.credentials_set)
        for role, role_grants in grants.items():
            await admin.wait_for_acls(settings.kafka_username(role), role_grants)
    return report


async def revoke_access(settings: Settings) -> int:
    """Remove the ACLs `grant_access` wrote for this namespace and worker id (the users,
    shared by every namespace, stay); for scratch namespaces that are being dropped."""
    removed = 0
    async with KafkaAdmin(settings) as admin:
        for role, role_grants in service_grants(settings).items():
            # The cluster grant is the same for every namespace: others still need it.
            own = [g for g in role_grants if g.resource != "cluster"]
            removed += await admin.delete_acls(settings.kafka_username(role), own)
    return removed
