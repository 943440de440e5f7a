"""The followers' group starts where the domain group stood (app/follower_offsets.py).

Against the real broker, as the worker principal with the ACLs `migrate` writes: the
offsets are read and committed by the same login a followers worker uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer

from app.follower_offsets import DomainWorkersStillRead, adopt_offsets
from core.settings import Settings, get_settings
from stores.kafka_auth import client_options
from stores.kafka_offsets import GroupOffsets
from tests.support import own_namespace
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS, PIPELINE_EVENTS

pytestmark = pytest.mark.stack


@pytest.fixture
async def settings() -> AsyncIterator[Settings]:
    get_settings.cache_clear()
    async with own_namespace(get_settings(), "rt-followers") as own:
        yield own


def _topics(settings: Settings) -> set[str]:
    ns = settings.topic_namespace
    return {CANDIDATE_EVENTS.name(ns), PIPELINE_EVENTS.name(ns)}


async def _member(settings: Settings, topic: str) -> AIOKafkaConsumer:
    """A worker of the domain group that has joined it, reading `topic`."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings, settings.kafka_login("worker")),
        group_id=settings.worker_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    # Joined once it holds its partitions.
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)
    return consumer


async def test_the_followers_take_the_domain_groups_offsets_once(settings: Settings) -> None:
    domain, followers = settings.worker_id, f"{settings.worker_id}-followers"
    candidates = CANDIDATE_EVENTS.name(settings.topic_namespace)
    pipeline = PIPELINE_EVENTS.name(settings.topic_namespace)
    async with GroupOffsets(settings) as groups:
        # Where the old domain workers stood: some partitions read, others never.
        stood = {(candidates, 0): 3, (candidates, 1): 5, (pipeline, 2): 8}
        await groups.commit(domain, stood)

        adopted = await adopt_offsets(
            settings, _topics(settings), from_group=domain, to_group=followers
        )

        assert adopted == stood
        every = await groups.partitions(_topics(settings))
        # The partitions the domain group never read stay without: read from the start,
        # as the domain group would have.
        assert await groups.committed(followers, every) == stood

        # The followers move on; the domain group's offsets of these topics no longer do.
        await groups.commit(followers, {(candidates, 0): 12})
        again = await adopt_offsets(
            settings, _topics(settings), from_group=domain, to_group=followers
        )
        assert again == {}
        assert (await groups.committed(followers, every))[(candidates, 0)] == 12


async def test_the_followers_wait_while_a_domain_worker_still_reads_the_events(
    settings: Settings,
) -> None:
    domain, followers = settings.worker_id, f"{settings.worker_id}-followers"
    candidates = CANDIDATE_EVENTS.name(settings.topic_namespace)
    async with GroupOffsets(settings) as groups:
        await groups.commit(domain, {(candidates, 0): 4})
    # A command worker (`--agents commands`) in the domain group is no reason to wait.
    commands = await _member(settings, CANDIDATE_COMMANDS.name(settings.topic_namespace))
    try:
        # An old `--agents domain` worker still reading the events is.
        old = await _member(settings, candidates)
        try:
            with pytest.raises(DomainWorkersStillRead, match="--agents commands"):
                await adopt_offsets(
                    settings,
                    _topics(settings),
                    from_group=domain,
                    to_group=followers,
                    wait_seconds=1,
                    poll_seconds=0.2,
                )
        finally:
            await old.stop()
        adopted = await adopt_offsets(
            settings, _topics(settings), from_group=domain, to_group=followers, poll_seconds=0.2
        )
        assert adopted == {(candidates, 0): 4}
        # Not only at the first start: a domain worker beside the followers would follow
        # every event a second time.
        old = await _member(settings, candidates)
        try:
            with pytest.raises(DomainWorkersStillRead):
                await adopt_offsets(
                    settings,
                    _topics(settings),
                    from_group=domain,
                    to_group=followers,
                    wait_seconds=0,
                )
        finally:
            await old.stop()
    finally:
        await commands.stop()
