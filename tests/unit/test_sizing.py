"""Topic and index sizing come from the settings, and nonsense sizes are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings
from stores.kafka_sizing import MIN_INSYNC_REPLICAS, new_topic, topic_config
from stores.search.candidate_index import candidate_index_body
from stores.search.sizing import IndexSizing


def test_defaults_fit_a_single_broker_and_a_single_search_node() -> None:
    settings = Settings.model_validate({})
    assert settings.kafka_replication_factor == 1
    assert settings.kafka_min_insync_replicas == 1
    assert settings.search_shards == 1
    assert settings.search_replicas == 0


@pytest.mark.parametrize(
    "name",
    [
        "KAFKA_PARTITIONS",
        "KAFKA_REPLICATION_FACTOR",
        "KAFKA_MIN_INSYNC_REPLICAS",
        "SEARCH_SHARDS",
    ],
)
def test_counts_below_one_are_refused_by_name(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings.model_validate({name: "0"})


def test_search_replicas_may_be_zero_but_not_negative() -> None:
    assert Settings.model_validate({"SEARCH_REPLICAS": "0"}).search_replicas == 0
    with pytest.raises(ValidationError, match="SEARCH_REPLICAS"):
        Settings.model_validate({"SEARCH_REPLICAS": "-1"})


def test_min_insync_above_the_replication_factor_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError) as info:
        Settings.model_validate({"KAFKA_REPLICATION_FACTOR": "2", "KAFKA_MIN_INSYNC_REPLICAS": "3"})
    message = str(info.value)
    assert "KAFKA_MIN_INSYNC_REPLICAS=3" in message
    assert "KAFKA_REPLICATION_FACTOR=2" in message


def test_min_insync_equal_to_the_replication_factor_is_accepted() -> None:
    settings = Settings.model_validate(
        {"KAFKA_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "3"}
    )
    assert settings.kafka_min_insync_replicas == 3


def test_a_new_topic_is_sized_by_the_settings() -> None:
    settings = Settings.model_validate(
        {
            "KAFKA_PARTITIONS": "12",
            "KAFKA_REPLICATION_FACTOR": "3",
            "KAFKA_MIN_INSYNC_REPLICAS": "2",
        }
    )
    topic = new_topic(settings, "rt.candidates.commands", {"retention.ms": "1000"})
    assert topic.name == "rt.candidates.commands"
    assert topic.num_partitions == 12
    assert topic.replication_factor == 3
    assert topic.topic_configs == {"retention.ms": "1000", MIN_INSYNC_REPLICAS: "2"}


def test_a_topic_may_ask_for_its_own_partition_count() -> None:
    settings = Settings.model_validate({"KAFKA_PARTITIONS": "12"})
    assert new_topic(settings, "t", partitions=2).num_partitions == 2


def test_the_settings_min_insync_wins_over_a_topics_own_config() -> None:
    # min.insync.replicas is the deployment's durability choice, not a topic's.
    settings = Settings.model_validate(
        {"KAFKA_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2"}
    )
    assert topic_config(settings, {MIN_INSYNC_REPLICAS: "1"}) == {MIN_INSYNC_REPLICAS: "2"}


def test_index_bodies_carry_the_configured_shards_and_replicas() -> None:
    settings = Settings.model_validate({"SEARCH_SHARDS": "3", "SEARCH_REPLICAS": "1"})
    body = candidate_index_body("1s", IndexSizing.from_settings(settings))
    assert body["settings"] == {
        "number_of_shards": 3,
        "number_of_replicas": 1,
        "refresh_interval": "1s",
    }
