"""Who may do what on the broker: the ACLs of each principal, derived from the topic names.

The stream contract says which topics exist (topics/names.py); this says which principal
reads and writes each, with the least each process needs. `refactortrack migrate`
writes these grants as Kafka ACLs (stores/kafka_access.py) for the settings'
TOPIC_NAMESPACE and WORKER_ID, so a test run's own namespace gets its own. Everything
not granted here is refused (`allow.everyone.if.no.acl.found=false`); the admin is a
super user and needs no grant. docs/kafka.md explains each line.

Kafka implies DESCRIBE from READ and WRITE; on topics it is granted explicitly anyway,
so a reader of this file (or of `refactortrack kafka show`) sees what a principal may
look up as well as what it may read or write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from topics.names import (
    COMMAND_TOPICS,
    ERASURES,
    EVENT_TOPICS,
    INTERNAL_TOPICS,
    TopicSpec,
    agencies_prefix,
    agency_events,
    integration_commands,
    integrations_dlq,
    integrations_prefix,
)

ResourceType = Literal["topic", "group", "cluster"]
PatternType = Literal["literal", "prefixed"]
Operation = Literal["read", "write", "create", "delete", "describe", "idempotent_write"]

# Kafka's only cluster resource.
CLUSTER = "kafka-cluster"


@dataclass(frozen=True, order=True, slots=True)
class Grant:
    """One allowed operation on one resource (a topic or group name, or a name prefix)."""

    resource: ResourceType
    pattern: PatternType
    name: str
    operation: Operation

    def __str__(self) -> str:
        star = "*" if self.pattern == "prefixed" else ""
        return f"{self.operation} {self.resource} {self.name}{star}"


def allows(grants: list[Grant], resource: ResourceType, name: str, operation: Operation) -> bool:
    """Whether `grants` allow `operation` on the named resource, as Kafka matches them
    (a literal name exactly, a prefixed one by its start). Implied rights not counted."""
    return any(
        g.resource == resource
        and g.operation == operation
        and (g.name == name if g.pattern == "literal" else name.startswith(g.name))
        for g in grants
    )


def _topics(names: list[str], *operations: Operation) -> list[Grant]:
    return [Grant("topic", "literal", name, op) for name in names for op in operations]


def _names(specs: tuple[TopicSpec, ...], namespace: str) -> list[str]:
    return [spec.name(namespace) for spec in specs]


# The event topics the worker's agents consume: the search indexers (candidates,
# requisitions, pipeline), the analytics' router (the same three), the agency
# forwarder (every one: it copies an integrated agency's events to its own topic) and
# the webhooks' recorder (every one: any event type may be followed). A
# unit test checks this against the topics the worker app actually subscribes to.
WORKER_READS_EVENTS: tuple[TopicSpec, ...] = EVENT_TOPICS


def command_writer_grants(namespace: str) -> list[Grant]:
    """The gateway's, and the jobs': write the command topics, nothing else.

    IDEMPOTENT_WRITE on the cluster is what an idempotent producer asked for before
    Kafka 2.8 (KIP-679 made WRITE on a topic enough); granted so the producers'
    `enable_idempotence=True` works on either.
    """
    return [
        *_topics(_names(COMMAND_TOPICS, namespace), "write", "describe"),
        Grant("cluster", "literal", CLUSTER, "idempotent_write"),
    ]


def jobs_grants(namespace: str) -> list[Grant]:
    """The jobs' (imports, retention, restores): what a command writer may, and read the
    erasure register, which `refactortrack erasures reapply` reads whole after a restore
    (partitions assigned by hand: no consumer group)."""
    return [
        *command_writer_grants(namespace),
        *_topics([ERASURES.name(namespace)], "read", "describe"),
    ]


def worker_grants(namespace: str, worker_id: str) -> list[Grant]:
    """The Faust workers': consume commands and the events their agents follow, emit
    events, dead letters and the analytics' internal topic, and own their Faust
    internals (consumer groups, tables' changelogs, the leader topic)."""
    commands = _names(COMMAND_TOPICS, namespace)
    dlqs = [spec.dlq(namespace) for spec in COMMAND_TOPICS]
    internal = _names(INTERNAL_TOPICS, namespace)
    # Faust names its own topics and groups after the app id: WORKER_ID for the domain
    # agents, WORKER_ID-analytics for the analytics (app/worker.py); it creates the
    # changelog and leader topics itself, hence CREATE on its prefix only.
    own = f"{worker_id}-"
    return [
        # Read, and write: the integration gate forwards what integrations send, and the
        # resume reader hands its results to the candidates agent.
        *_topics(commands, "read", "write", "describe"),
        *_topics([integrations_dlq(namespace)], "write", "describe"),
        *_topics(_names(WORKER_READS_EVENTS, namespace), "read"),
        *_topics(_names(EVENT_TOPICS, namespace), "write", "describe"),
        *_topics(dlqs, "write", "describe"),
        *_topics(internal, "read", "write", "describe"),
        # Room for integrations: every integration's command topic is the worker's to read,
        # and every agency's event topic is the worker's to write (and nobody else's).
        Grant("topic", "prefixed", integrations_prefix(namespace), "read"),
        Grant("topic", "prefixed", integrations_prefix(namespace), "describe"),
        # An integration's command topic is an inbox: what the gate forwarded (sealed) is
        # deleted from it, so what an integration sends in the clear is not kept.
        Grant("topic", "prefixed", integrations_prefix(namespace), "delete"),
        Grant("topic", "prefixed", agencies_prefix(namespace), "write"),
        Grant("topic", "prefixed", agencies_prefix(namespace), "describe"),
        Grant("topic", "prefixed", own, "read"),
        Grant("topic", "prefixed", own, "write"),
        Grant("topic", "prefixed", own, "create"),
        Grant("topic", "prefixed", own, "describe"),
        Grant("group", "literal", worker_id, "read"),
        Grant("group", "prefixed", own, "read"),
    ]


def integration_grants(namespace: str, integration_id: str, tenant_id: str) -> list[Grant]:
    """One integration's: write its own command topic, read its agency's events, with
    consumer groups named under its topic's prefix (`<namespace>.integrations.<id>.`)."""
    commands = integration_commands(integration_id, namespace)
    groups = commands.removesuffix("commands")
    return [
        *_topics([commands], "write", "describe"),
        *_topics([agency_events(tenant_id, namespace)], "read", "describe"),
        Grant("group", "prefixed", groups, "read"),
    ]
