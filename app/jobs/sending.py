"""How a job talks to the workers: commands published like an integration's, outcomes read
back from the command ledger, or for batch commands from their one stored summary each.

A job (an import, the demo data) sends thousands of commands and cannot wait on one
wake-up each; the ledger is where every outcome lands, in the same transaction as its
effect, so polling it by command id misses nothing. A batch command (an import's
`candidate.create_batch`) has no ledger row of its own, its rows do: its outcome is the
summary the worker stores in Redis after the commit (counts and refused rows), polled by
the batch's id, many in one round trip. A summary lost (Redis restarted, or read after its
24 hours) comes back by sending the same batch again: the worker finds its rows done and
stores the same summary.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar
from uuid import UUID

from core.settings import Settings
from stores.kafka import BatchPublisher
from stores.keyring import Keyring
from stores.postgres import commands as ledger
from stores.postgres.database import Database
from stores.postgres.users import ensure_tenant, find_tenant
from stores.redis import RedisStore
from stores.sealing import Sealer
from topics.envelopes import CommandEnvelope, CommandOutcome

# Commands sealed together: one round trip makes the keys of this many new people.
SEAL_BATCH = 500

# Command ids asked for in one poll of the ledger.
OUTCOME_WINDOW = 20_000

# Batch summaries asked for in one round trip to Redis.
SUMMARY_WINDOW = 2_000

Outcome = tuple[str, dict[str, Any] | None]
"""(status, error) of a command the ledger has recorded."""

T = TypeVar("T")


class CommandSender:
    """A producer that waits for every acknowledgement, and the ledger to read outcomes from."""

    def __init__(self, settings: Settings, *, poll_seconds: float = 0.25) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.db = Database(settings)
        # The jobs principal may write the command topics and nothing else: an import
        # reads files from outside, and needs none of the admin's power to send them.
        self._producer = BatchPublisher(settings, settings.kafka_login("jobs"))
        self._sealer = Sealer(Keyring(self.db, settings), self.db)
        self.redis = RedisStore(settings)
        self._pending: list[tuple[str, UUID, CommandEnvelope]] = []

    async def __aenter__(self) -> CommandSender:
        await self.db.start()
        try:
            await self._producer.start()
            await self.redis.start()  # opens lazily: nothing is asked of Redis yet
        except BaseException:
            await self.db.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._producer.stop()
        finally:
            await self.redis.stop()
            await self.db.stop()

    async def find_tenant(self, slug: str) -> UUID | None:
        """The agency's id, or None when there is no agency of that slug."""
        async with self.db.read() as conn:
            return await find_tenant(conn, slug)

    async def ensure_tenant(self, slug: str) -> UUID:
        """The agency's id, made first when there is no agency of that slug."""
        async with self.db.transaction() as conn:
            return await ensure_tenant(conn, slug)

    async def send(self, topic: str, key: UUID, envelope: CommandEnvelope) -> None:
        """Queue one command, keyed by its aggregate so the aggregate's commands stay in order."""
        self._pending.append((topic, key, envelope))
        if len(self._pending) >= SEAL_BATCH:
            await self._seal_pending()

    async def flush(self) -> None:
        """Return once the broker has acknowledged everything sent so far."""
        await self._seal_pending()
        await self._producer.flush()

    async def _seal_pending(self) -> None:
        """Seal the queued commands' personal fields (their people's keys made in one round
        trip) and hand them to the producer."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        sealed = await self._sealer.seal_commands([envelope for _, _, envelope in pending])
        for (topic, key, _), envelope in zip(pending, sealed, strict=True):
            await self._producer.send(topic, str(key).encode(), envelope.model_dump_json().encode())

    async def outcomes(
        self,
        tenant_id: UUID,
        command_ids: Iterable[UUID],
        *,
        timeout: float,
        window: int = OUTCOME_WINDOW,
    ) -> AsyncIterator[dict[UUID, Outcome]]:
        """Yield the agency's commands' outcomes from the ledger (see `_poll`)."""

        async def fetch(ids: list[UUID]) -> dict[UUID, Outcome]:
            async with self.db.read() as conn:
                return await ledger.get_outcomes(conn, tenant_id, ids)

        async for found in self._poll(command_ids, fetch, timeout=timeout, window=window):
            yield found

    async def batch_outcomes(
        self,
        tenant_id: UUID,
        batch_ids: Iterable[UUID],
        *,
        timeout: float,
        window: int = SUMMARY_WINDOW,
    ) -> AsyncIterator[dict[UUID, CommandOutcome]]:
        """Yield the agency's batch commands' outcomes (each with its rows' summary) as
        the worker stores them (see `_poll`)."""

        async def fetch(ids: list[UUID]) -> dict[UUID, CommandOutcome]:
            return await self.redis.get_outcomes(tenant_id, ids)

        async for found in self._poll(batch_ids, fetch, timeout=timeout, window=window):
            yield found

    async def _poll(
        self,
        command_ids: Iterable[UUID],
        fetch: Callable[[list[UUID]], Awaitable[dict[UUID, T]]],
        *,
        timeout: float,
        window: int,
    ) -> AsyncIterator[dict[UUID, T]]:
        """Yield the agency's commands' outcomes as the worker records them, until each has one.

        Waits as long as outcomes keep arriving: `timeout` is how long it waits with no new
        outcome at all (a stopped or stuck worker), not for the whole job, so a million
        rows that take twenty minutes finish. Raises `OutcomesStalled` (a TimeoutError)
        naming how many are missing when nothing moved for `timeout` seconds.

        Each poll asks for at most `window` ids, the oldest still pending first and the
        next window on the next poll, so a poll of a million-row import costs what one of
        a small import does; a full round over every window is far shorter than `timeout`.
        """
        pending = dict.fromkeys(command_ids)  # insertion order: the order they were sent
        total = len(pending)
        last_progress = time.monotonic()
        start = 0
        while pending:
            ids = list(itertools.islice(pending, start, start + window))
            if not ids:  # past the end: back to the oldest
                start = 0
                continue
            found = await fetch(ids)
            for command_id in found:
                del pending[command_id]
            # What stays pending in this window moves down into the room found freed;
            # step past it, so the next poll reads the next window.
            start += len(ids) - len(found)
            if found:
                last_progress = time.monotonic()
            yield found
            if not pending:
                return
            quiet = time.monotonic() - last_progress
            if quiet > timeout:
                raise OutcomesStalled(len(pending), total, timeout)
            if start >= len(pending):
                start = 0
                await asyncio.sleep(self.poll_seconds)


class OutcomesStalled(TimeoutError):
    """No new outcome for the wait's length: the worker is stopped, stuck, or behind.

    The commands are in their topics, so a worker that comes back still applies them;
    the job's exit code says so (`refactortrack import` exits 3).
    """

    def __init__(self, missing: int, total: int, waited: float) -> None:
        self.missing, self.total, self.waited = missing, total, waited
        super().__init__(
            f"{missing:,} of {total:,} commands have no outcome, and none came in the last "
            f"{waited:.0f}s: is a worker running? The commands are sent, so a worker may "
            "still apply them; run the same command again later to see every outcome "
            "(nothing is applied twice)"
        )
