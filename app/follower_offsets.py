"""The followers' consumer group starts where the domain group stood (the upgrade to
`--agents commands` + `--agents followers`, docs/operations.md).

Until the followers ran apart, they read the event topics in the domain group (WORKER_ID);
now they read them in `WORKER_ID-followers`. A new group has no committed offsets, so it
would start from the earliest retained event (every webhook sent again, every change fed
twice), or from the latest (events skipped). So, before a followers worker joins its group,
for every partition its group has no offset for, it commits the domain group's.

That is right only once no domain worker reads those topics any more (its offsets have
stopped moving), so it first waits until no member of the domain group subscribes to them
(an old `--agents domain` or `all` worker still running in a rolling upgrade); it does so at
every start, since such a worker beside the followers would follow every event twice. It runs
before Faust starts, because the broker takes offsets from outside a group only while the
group has no member; a second replica that starts at the same time commits the same offsets,
and one that starts later finds them there and has nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust

from core.settings import Settings
from stores.kafka_offsets import GroupOffsets, OffsetsRefused, Partition

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
# A rolling upgrade replaces the old domain workers within minutes; past this the worker
# exits with the reason (and its orchestrator starts it again).
WAIT_SECONDS = 600.0


class DomainWorkersStillRead(RuntimeError):
    """A worker running every agent still reads the followers' topics in the domain group."""


def subscribed_topics(app: faust.App) -> set[str]:
    """The topics the app's agents read."""
    return {topic for agent in app.agents.values() for topic in agent.channel.topics}


async def adopt_offsets(
    settings: Settings,
    topics: set[str],
    *,
    from_group: str,
    to_group: str,
    wait_seconds: float = WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
) -> dict[Partition, int]:
    """Commit `from_group`'s offsets for `to_group` on the partitions of `topics` that
    `to_group` has none for; return what was committed (nothing the second time)."""
    async with GroupOffsets(settings) as groups:
        # At every start, not only the first: a `domain` worker beside the followers would
        # follow every event a second time (each group reads them all).
        deadline = time.monotonic() + wait_seconds
        while readers := [m for m in await groups.members(from_group) if m.topics & topics]:
            if time.monotonic() > deadline:
                raise DomainWorkersStillRead(
                    f"{len(readers)} worker(s) of group {from_group} still read the event "
                    f"topics (hosts {sorted({m.client_host for m in readers})}): run them "
                    "with --agents commands before starting --agents followers "
                    "(docs/operations.md, 'Running the followers apart')"
                )
            log.warning(
                "waiting for %d worker(s) of group %s to stop reading the event topics "
                "(run them with --agents commands) before the followers take over",
                len(readers),
                from_group,
            )
            await asyncio.sleep(poll_seconds)
        partitions = await groups.partitions(topics)
        have = await groups.committed(to_group, partitions)
        missing = [tp for tp in partitions if tp not in have]
        if not missing:
            return {}
        old = await groups.committed(from_group, missing)
        adopted = {tp: old[tp] for tp in missing if tp in old}
        try:
            await groups.commit(to_group, adopted)
        except OffsetsRefused:
            # Another followers worker joined first: it committed these before joining.
            now = await groups.committed(to_group, list(adopted))
            if set(adopted) - set(now):
                raise
            return {}
        if adopted:
            log.info(
                "group %s starts where %s stood on %d partition(s)",
                to_group,
                from_group,
                len(adopted),
            )
        return adopted


def adopt_domain_offsets(settings: Settings, app: faust.App) -> None:
    """Before a followers worker starts: its group takes the domain group's offsets where
    it has none. In a loop of its own, closed after, so Faust's worker makes its own."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(
            adopt_offsets(
                settings,
                subscribed_topics(app),
                from_group=settings.worker_id,
                to_group=app.conf.id,
            )
        )
    finally:
        loop.close()
