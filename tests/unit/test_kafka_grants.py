"""topics/access.py: what each principal may do, checked against what the code does."""

from __future__ import annotations

import pytest

from app.worker import build_worker_app
from core.settings import Settings
from stores.kafka import topic_layout
from topics.access import (
    Grant,
    allows,
    command_writer_grants,
    integration_grants,
    jobs_grants,
    worker_grants,
)
from topics.names import (
    COMMAND_TOPICS,
    ERASURES,
    EVENT_TOPICS,
    agency_events,
    integration_commands,
)

NS, WORKER = "ns", "wid"
TENANT = "1f0e0c4e-5c53-4a8e-9d6f-5a6c2b1e7d10"


def _worker_settings(agents: str) -> Settings:
    return Settings.model_validate(
        {
            "KAFKA_WORKER_PASSWORD": "unused-here",
            "TOPIC_NAMESPACE": NS,
            "WORKER_ID": WORKER,
            "WORKER_AGENTS": agents,
        }
    )


@pytest.mark.parametrize("agents", ["all", "domain", "commands", "followers", "analytics"])
def test_the_worker_may_read_every_topic_its_agents_subscribe_to(agents: str) -> None:
    """A new agent on a topic the ACLs forget would fail with TopicAuthorizationFailed."""
    app = build_worker_app(_worker_settings(agents))
    grants = worker_grants(NS, WORKER)
    subscribed = {t for agent in app.agents.values() for t in agent.channel.topics}
    assert subscribed
    refused = sorted(t for t in subscribed if not allows(grants, "topic", t, "read"))
    assert not refused, f"the worker may not read {refused}"
    # Its Faust internals: the group, the tables' changelogs and the leader topic.
    assert allows(grants, "group", app.conf.id, "read")
    internal = [table.changelog_topic.get_topic_name() for table in app.tables.values()]
    internal.append(f"{app.conf.id}-__assignor-__leader")
    for topic in internal:
        for op in ("read", "write", "create"):
            assert allows(grants, "topic", topic, op), (op, topic)


def test_the_worker_writes_every_event_dead_letter_and_internal_topic() -> None:
    grants = worker_grants(NS, WORKER)
    written = [name for name, _ in topic_layout(NS) if not name.endswith(".commands")]
    assert all(allows(grants, "topic", name, "write") for name in written)
    # The worker writes commands too: the integration gate forwards what integrations
    # send, and the resume reader hands its results to the candidates agent.
    assert all(allows(grants, "topic", s.name(NS), "write") for s in COMMAND_TOPICS)


def test_the_worker_reads_any_integration_and_writes_any_agency_topic_only() -> None:
    grants = worker_grants(NS, WORKER)
    commands = integration_commands("job-board", NS)
    assert allows(grants, "topic", commands, "read")
    assert not allows(grants, "topic", commands, "write")
    events = agency_events(TENANT, NS)
    assert allows(grants, "topic", events, "write")
    assert not allows(grants, "topic", events, "read")
    # Another namespace's are not the worker's.
    assert not allows(grants, "topic", integration_commands("job-board", "other"), "read")


def test_command_writers_write_commands_and_nothing_else() -> None:
    grants = command_writer_grants(NS)
    writable = {g.name for g in grants if g.resource == "topic" and g.operation == "write"}
    assert writable == {spec.name(NS) for spec in COMMAND_TOPICS}
    assert not [g for g in grants if g.operation in ("read", "create")]
    assert not [g for g in grants if g.resource == "group" or g.pattern == "prefixed"]
    assert Grant("cluster", "literal", "kafka-cluster", "idempotent_write") in grants
    for spec in EVENT_TOPICS:
        assert not allows(grants, "topic", spec.name(NS), "write")


def test_jobs_write_commands_and_read_only_the_erasure_register() -> None:
    grants = jobs_grants(NS)
    register = ERASURES.name(NS)
    assert allows(grants, "topic", register, "read")
    assert not allows(grants, "topic", register, "write")
    readable = {g.name for g in grants if g.operation == "read"}
    assert readable == {register}
    assert not [g for g in grants if g.resource == "group" or g.pattern == "prefixed"]
    # The worker writes the register (it is the one that erases).
    assert allows(worker_grants(NS, "refactortrack"), "topic", register, "write")


def test_an_integration_writes_its_own_topic_and_reads_its_agency_alone() -> None:
    grants = integration_grants(NS, "job-board", TENANT)
    assert allows(grants, "topic", integration_commands("job-board", NS), "write")
    assert not allows(grants, "topic", integration_commands("job-board-2", NS), "write")
    assert not allows(grants, "topic", integration_commands("job", NS), "write")
    assert allows(grants, "topic", agency_events(TENANT, NS), "read")
    other = agency_events("0e9a3c55-0d4d-4b25-8a3f-1d8a0f4c2b77", NS)
    assert not allows(grants, "topic", other, "read")
    assert allows(grants, "group", f"{NS}.integrations.job-board.sync", "read")
    assert not allows(grants, "group", f"{NS}.integrations.job-board-2.sync", "read")
    assert not any(allows(grants, "topic", s.name(NS), "write") for s in COMMAND_TOPICS)


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "x" * 65, "ü"])
def test_an_integration_id_must_be_one_name_segment(bad: str) -> None:
    with pytest.raises(ValueError, match="integration id"):
        integration_commands(bad, NS)
