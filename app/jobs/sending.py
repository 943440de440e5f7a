"""How a job talks to the workers: commands published like an integration's, outcomes read
back from the command ledger.

A job (an import, the demo data) sends thousands of commands and cannot wait on one
wake-up each; the ledger is where every outcome lands, in the same transaction as its
effect, so polling it by command id misses nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any
from uuid import UUID

from core.settings import Settings
from stores.kafka import BatchPublisher
from stores.keyring import Keyring
from stores.postgres import commands as ledger
from stores.postgres.database import Database
from stores.postgres.users import ensure_tenant, find_tenant
from stores.sealing import Sealer
from topics.envelopes import CommandEnvelope

# Commands sealed together: one round trip makes the keys of this many new people.
SEAL_BATCH = 500

Outcome = tuple[str, dict[str, Any] | None]
"""(status, error) of a command the ledger has recorded."""


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
        self._pending: list[tuple[str, UUID, CommandEnvelope]] = []

    async def __aenter__(self) -> CommandSender:
        await self.db.start()
        try:
            await self._producer.start()
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
        self, tenant_id: UUID, command_ids: Iterable[UUID], *, timeout: float
    ) -> AsyncIterator[dict[UUID, Outcome]]:
        """Yield the agency's commands' outcomes as the worker records them, until each has one.

        Raises TimeoutError naming how many are missing when `timeout` seconds pass first.
        """
        pending = set(command_ids)
        total = len(pending)
        deadline = time.monotonic() + timeout
        while pending:
            async with self.db.read() as conn:
                found = await ledger.get_outcomes(conn, tenant_id, list(pending))
            pending.difference_update(found)
            yield found
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(pending)} of {total} commands have no outcome after {timeout:.0f}s: "
                    "is a worker running?"
                )
            await asyncio.sleep(self.poll_seconds)
