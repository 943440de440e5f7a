"""app/worker.py: what each WORKER_AGENTS value runs, and in which consumer group."""

from __future__ import annotations

import typing

import pytest

from app.follower_offsets import subscribed_topics
from app.worker import build_worker_app
from core.settings import Settings
from topics.names import COMMAND_TOPICS, EVENT_TOPICS

NS, WORKER = "ns", "wid"


def _app_for(agents: str) -> typing.Any:
    settings = Settings.model_validate(
        {
            "KAFKA_WORKER_PASSWORD": "unused-here",
            "TOPIC_NAMESPACE": NS,
            "WORKER_ID": WORKER,
            "WORKER_AGENTS": agents,
        }
    )
    return build_worker_app(settings)


def _agent_names(app: typing.Any) -> set[str]:
    return {agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()}


def test_domain_is_commands_and_followers_together() -> None:
    commands, followers, domain = (_app_for(a) for a in ("commands", "followers", "domain"))
    assert _agent_names(commands)
    assert _agent_names(followers)
    assert not _agent_names(commands) & _agent_names(followers)
    assert _agent_names(domain) == _agent_names(commands) | _agent_names(followers)
    assert subscribed_topics(domain) == subscribed_topics(commands) | subscribed_topics(followers)


def test_the_command_worker_reads_commands_and_the_followers_events() -> None:
    commands = {spec.name(NS) for spec in COMMAND_TOPICS}
    events = {spec.name(NS) for spec in EVENT_TOPICS}
    assert subscribed_topics(_app_for("commands")) <= commands
    # The followers never read a command: they cannot apply one twice.
    followed = subscribed_topics(_app_for("followers"))
    assert followed
    assert followed <= events
    assert not followed & commands


@pytest.mark.parametrize(
    ("agents", "group"),
    [
        ("all", WORKER),
        ("domain", WORKER),
        # The command agents keep the group whose offsets they committed as `domain`.
        ("commands", WORKER),
        ("followers", f"{WORKER}-followers"),
        ("analytics", f"{WORKER}-analytics"),
    ],
)
def test_each_kind_of_worker_has_its_consumer_group(agents: str, group: str) -> None:
    assert _app_for(agents).conf.id == group


def test_the_cli_accepts_every_kind_of_worker() -> None:
    accepted = typing.get_args(Settings.model_fields["worker_agents"].annotation)
    assert set(accepted) == {"all", "domain", "commands", "followers", "analytics"}
