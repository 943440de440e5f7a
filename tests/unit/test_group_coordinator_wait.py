"""A fresh broker's "coordinator not available" is waited on; a broker that is away is not."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    GroupCoordinatorNotAvailableError,
    KafkaConnectionError,
)

from stores.kafka_offsets import _retrying


def _answers(*outcomes: object) -> tuple[list[int], object]:
    calls: list[int] = []

    async def call() -> object:
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return calls, call


def test_a_loading_coordinator_is_asked_again_until_it_answers() -> None:
    calls, call = _answers(
        GroupCoordinatorNotAvailableError(), GroupCoordinatorNotAvailableError(), "members"
    )
    assert asyncio.run(_retrying(call, wait_seconds=5, retry_seconds=0.01)) == "members"  # type: ignore[arg-type]
    assert len(calls) == 3


def test_a_coordinator_that_never_comes_is_the_broker_unavailable() -> None:
    calls, call = _answers(*[GroupCoordinatorNotAvailableError()] * 1000)
    with pytest.raises(KafkaConnectionError, match="still answers"):
        asyncio.run(_retrying(call, wait_seconds=0.05, retry_seconds=0.01))  # type: ignore[arg-type]
    assert 2 <= len(calls) < 1000


@pytest.mark.parametrize("error", [KafkaConnectionError(), GroupAuthorizationFailedError()])
def test_an_away_broker_or_a_final_answer_is_told_at_once(error: Exception) -> None:
    calls, call = _answers(error, "never")
    with pytest.raises(type(error)):
        asyncio.run(_retrying(call, wait_seconds=5, retry_seconds=0.01))  # type: ignore[arg-type]
    assert len(calls) == 1
