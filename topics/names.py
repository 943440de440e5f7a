"""Topic names and their layout. Every domain has one command and one event topic.

Names are `<namespace>.<domain>.<kind>`. The namespace is `rt` in every deployment; the
test suite uses its own (TOPIC_NAMESPACE) so a test run never consumes a developer's
commands, nor a developer's worker a test's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

DEFAULT_NAMESPACE = "rt"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    domain: str
    kind: Literal["commands", "events", "by-tenant", "register"]
    compacted: bool = False
    description: str = ""

    def name(self, namespace: str = DEFAULT_NAMESPACE) -> str:
        return f"{namespace}.{self.domain}.{self.kind}"

    def dlq(self, namespace: str = DEFAULT_NAMESPACE) -> str:
        return f"{self.name(namespace)}.dlq"


CANDIDATE_COMMANDS = TopicSpec(
    "candidates", "commands", description="Commands for candidates, keyed by candidate id."
)
# Compacted: the latest snapshot of each candidate is kept, and an erasure's tombstone
# removes every earlier record of that candidate.
CANDIDATE_EVENTS = TopicSpec(
    "candidates",
    "events",
    compacted=True,
    description="Facts about candidates, keyed by candidate id (compacted; erasure writes a "
    "tombstone).",
)

# Resumes are read apart from the candidates' other commands: a file that takes the whole
# of its limits to refuse holds up other resumes only, never a candidate create.
DOCUMENT_COMMANDS = TopicSpec(
    "documents",
    "commands",
    description="Resumes to read (`document.attach`), keyed by candidate id; the reader "
    "hands each result to the candidates agent as `document.record`.",
)

CLIENT_COMMANDS = TopicSpec(
    "clients",
    "commands",
    description="Commands for client companies and their contacts, keyed by client id.",
)
CLIENT_EVENTS = TopicSpec(
    "clients",
    "events",
    description="Facts about client companies and their contacts, keyed by client id.",
)

REQUISITION_COMMANDS = TopicSpec(
    "requisitions", "commands", description="Commands for requisitions, keyed by requisition id."
)
REQUISITION_EVENTS = TopicSpec(
    "requisitions", "events", description="Facts about requisitions, keyed by requisition id."
)

PIPELINE_COMMANDS = TopicSpec(
    "pipeline", "commands", description="Commands for submissions, keyed by submission id."
)
PIPELINE_EVENTS = TopicSpec(
    "pipeline",
    "events",
    description="Facts about submissions and placements, keyed by submission id.",
)

NOTE_COMMANDS = TopicSpec(
    "notes", "commands", description="Notes on any record, keyed by the record's id."
)
NOTE_EVENTS = TopicSpec("notes", "events", description="Notes written, keyed by the record's id.")

SEARCH_COMMANDS = TopicSpec(
    "searches", "commands", description="Saved searches made and deleted, keyed by their id."
)
SEARCH_EVENTS = TopicSpec(
    "searches",
    "events",
    description="Saved searches, and the candidates that newly match one (alerts), keyed by "
    "the saved search's id.",
)

ANALYTICS_EVENTS = TopicSpec(
    "analytics",
    "events",
    description="Alerts raised and cleared by the live analytics (a submission waiting too "
    "long in client review, a hot requisition with no submission), keyed by alert id.",
)
WEBHOOK_EVENTS = TopicSpec(
    "webhooks",
    "events",
    description="Facts about an agency's webhooks (one disabled because its deliveries "
    "kept failing), keyed by webhook id.",
)
# Internal: the events the analytics read, forwarded keyed by agency so that one worker
# holds all of an agency's pipeline, requisitions and candidates.
ANALYTICS_BY_TENANT = TopicSpec(
    "analytics",
    "by-tenant",
    description="Internal: pipeline, requisition and candidate events re-keyed by agency, "
    "each message a JSON array of one agency's events.",
)

COMMAND_TOPICS: tuple[TopicSpec, ...] = (
    CANDIDATE_COMMANDS,
    DOCUMENT_COMMANDS,
    CLIENT_COMMANDS,
    REQUISITION_COMMANDS,
    PIPELINE_COMMANDS,
    NOTE_COMMANDS,
    SEARCH_COMMANDS,
)
EVENT_TOPICS: tuple[TopicSpec, ...] = (
    CANDIDATE_EVENTS,
    CLIENT_EVENTS,
    REQUISITION_EVENTS,
    PIPELINE_EVENTS,
    NOTE_EVENTS,
    SEARCH_EVENTS,
    ANALYTICS_EVENTS,
    WEBHOOK_EVENTS,
)
# Compacted and never tombstoned: one small record per erased person (ids and a time, no
# personal data), kept for as long as the cluster, because the database's own record of
# an erasure (the `erasures` table, the audit log) is lost with the database, and a
# restore from an older backup must know whom to erase again (docs/operations.md).
ERASURES = TopicSpec(
    "erasures",
    "register",
    compacted=True,
    description="Internal: who was erased (agency, kind, id, when; no personal data), kept "
    "for good so that a restore from an older backup erases them again.",
)

INTERNAL_TOPICS: tuple[TopicSpec, ...] = (ANALYTICS_BY_TENANT, ERASURES)


# Integrations (the integrations CLI makes them): each publishes to a command topic of its
# own, which only it may write and the worker reads, and reads its agency's event topic,
# which only the worker writes. Ids are single name segments (no '.'), so that
# `<namespace>.integrations.` and `<namespace>.agencies.` are prefixes of these and
# nothing else, and an ACL on one integration's name cannot match another's.
SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _segment(what: str, value: str) -> str:
    if not SEGMENT.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} cannot be part of a topic name: use 1-64 letters, digits, '_' or '-'"
        )
    return value


def integrations_prefix(namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{namespace}.integrations."


def integration_commands(integration_id: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """`<namespace>.integrations.<integration id>.commands`: one integration's commands."""
    return f"{integrations_prefix(namespace)}{_segment('integration id', integration_id)}.commands"


def agencies_prefix(namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{namespace}.agencies."


def agency_events(tenant_id: UUID | str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """`<namespace>.agencies.<tenant id>.events`: what one agency's integrations may read."""
    return f"{agencies_prefix(namespace)}{_segment('tenant id', str(tenant_id))}.events"


def integration_commands_pattern(namespace: str = DEFAULT_NAMESPACE) -> str:
    """A regular expression that matches every integration's command topic, and no other."""
    return rf"^{re.escape(integrations_prefix(namespace))}{SEGMENT.pattern}\.commands$"


def integration_of(topic: str, namespace: str = DEFAULT_NAMESPACE) -> str | None:
    """The integration id a command topic belongs to (None: not an integration's topic)."""
    prefix, suffix = integrations_prefix(namespace), ".commands"
    if not (topic.startswith(prefix) and topic.endswith(suffix)):
        return None
    found = topic[len(prefix) : -len(suffix)]
    return found if SEGMENT.fullmatch(found) else None


def integrations_dlq(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Where the worker puts what integrations sent and it refused, with the reason: for
    operators (integrations read their refusals as `command.rejected` on their event topic)."""
    return f"{namespace}.integrations-refused.dlq"
