from __future__ import annotations

from stores.kafka import topic_layout
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS


def test_contract_names_in_the_default_namespace() -> None:
    assert CANDIDATE_COMMANDS.name() == "rt.candidates.commands"
    assert CANDIDATE_COMMANDS.dlq() == "rt.candidates.commands.dlq"
    assert CANDIDATE_EVENTS.name() == "rt.candidates.events"


def test_layout_has_commands_events_and_dead_letters_in_one_namespace() -> None:
    names = [name for name, _ in topic_layout("rt-test")]
    assert set(names) == {
        "rt-test.candidates.commands",
        "rt-test.candidates.events",
        "rt-test.candidates.commands.dlq",
        "rt-test.documents.commands",
        "rt-test.documents.commands.dlq",
        "rt-test.clients.commands",
        "rt-test.clients.events",
        "rt-test.clients.commands.dlq",
        "rt-test.requisitions.commands",
        "rt-test.requisitions.events",
        "rt-test.requisitions.commands.dlq",
        "rt-test.pipeline.commands",
        "rt-test.pipeline.events",
        "rt-test.pipeline.commands.dlq",
        "rt-test.notes.commands",
        "rt-test.notes.events",
        "rt-test.notes.commands.dlq",
        "rt-test.searches.commands",
        "rt-test.searches.events",
        "rt-test.searches.commands.dlq",
        "rt-test.analytics.events",
        "rt-test.analytics.by-tenant",
        "rt-test.erasures.register",
        "rt-test.webhooks.events",
        "rt-test.integrations-refused.dlq",
    }


def test_the_erasure_register_is_compacted_and_never_ages_out() -> None:
    config = dict(topic_layout("rt-test"))["rt-test.erasures.register"]
    assert config["cleanup.policy"] == "compact"
    assert "retention.ms" not in config
