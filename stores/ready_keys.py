"""Person keys made before the people they are for: a new candidate's id comes with its
key already stored, so the create that names it makes no key on its way to the broker.

Every create used to insert its person's key (`Keyring._make`) before it could seal the
command and publish it: a Postgres statement and a turn or two of the gateway's event loop
on every write, the largest part of the gateway's time under load. Here a process keeps,
per agency and kind of person, up to `KEY_POOL_SIZE` ids whose keys are stored (made
together, one statement, by the same group commit), and refills the pool in the background
when half of it is used. A create takes an id and its key from the pool; with the pool
empty (the first create of an agency in this process, a burst faster than the refills)
it gets a fresh id, and its key is made on the way as before.

What a key in the pool is: a random key, wrapped by the agency's key, for an id nobody has
yet. It seals nothing, so it is no one's personal data; a rotation rewraps it like any
other. Those still unused when the process stops are deleted (`release`); a process that
dies leaves at most a pool's worth per agency, as harmless as the key of a create that was
refused (which the worker deletes) or never sent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from uuid import UUID

from core.settings import Settings
from stores.keyring import Keyring
from stores.postgres.database import Database
from stores.postgres.keys import delete_unused_person_keys

log = logging.getLogger(__name__)

# Agencies (times kinds of person) a process keeps a pool for: past this, a new agency's
# creates make their keys on the way, so the memory held does not grow with agencies.
MAX_POOLS = 1000
# How long a stopping process waits for Postgres to delete its unused keys.
RELEASE_SECONDS = 5.0

Pool = tuple[UUID, str]  # (agency, kind of person)


class ReadyKeys:
    def __init__(self, keys: Keyring, db: Database, settings: Settings) -> None:
        self._keys = keys
        self._db = db
        self._size = settings.key_pool_size if keys.sealing else 0
        self._pools: dict[Pool, deque[tuple[UUID, bytes]]] = {}
        self._filling: dict[Pool, asyncio.Task[None]] = {}

    def new_subject(self, tenant_id: UUID, subject_type: str) -> UUID:
        """An id for a new person of this agency: one whose key is stored and in this
        process's keyring when the pool has one, else a fresh id (its key is made when the
        command is sealed). Never waits."""
        if self._size == 0:
            return uuid.uuid4()
        pool = self._pools.get((tenant_id, subject_type))
        if pool is None:
            if len(self._pools) >= MAX_POOLS:
                return uuid.uuid4()
            pool = self._pools[(tenant_id, subject_type)] = deque()
        if len(pool) <= self._size // 2:
            self._refill(tenant_id, subject_type)
        if not pool:
            return uuid.uuid4()
        subject_id, key = pool.popleft()
        # Trusted as a freshly made key is (KEY_CACHE_SECONDS): the command is sealed next.
        self._keys.remember(tenant_id, subject_id, key)
        return subject_id

    def ready(self, tenant_id: UUID, subject_type: str) -> int:
        """How many ids this process holds ready for the agency."""
        return len(self._pools.get((tenant_id, subject_type), ()))

    async def filled(self, tenant_id: UUID, subject_type: str) -> None:
        """Wait for the refill in flight for this pool, if any."""
        task = self._filling.get((tenant_id, subject_type))
        if task is not None:
            await asyncio.shield(task)

    def _refill(self, tenant_id: UUID, subject_type: str) -> None:
        task = self._filling.get((tenant_id, subject_type))
        loop = asyncio.get_running_loop()
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._filling[(tenant_id, subject_type)] = loop.create_task(
            self._fill(tenant_id, subject_type)
        )

    async def _fill(self, tenant_id: UUID, subject_type: str) -> None:
        pool = self._pools[(tenant_id, subject_type)]
        wanted = {uuid.uuid4(): subject_type for _ in range(self._size - len(pool))}
        try:
            # The group commit of every create's keys: stored before anyone has them.
            made = await self._keys.people(tenant_id, [], create=wanted)
        except Exception as exc:
            # Postgres away, an agency that does not exist: the creates make their keys
            # on the way meanwhile, and meet the same failure there, with its answer.
            log.warning("could not make person keys ahead for an agency: %r", exc)
            return
        pool.extend((subject_id, made[subject_id]) for subject_id in wanted if subject_id in made)

    async def release(self) -> None:
        """Delete the keys made ahead and not used (the process stops); best effort."""
        for task in self._filling.values():
            task.cancel()
        self._filling.clear()
        pools, self._pools = self._pools, {}
        unused = {p: [s for s, _ in pool] for p, pool in pools.items() if pool}
        if not unused:
            return
        try:
            async with asyncio.timeout(RELEASE_SECONDS):
                async with self._db.transaction() as conn:
                    for (tenant_id, _), subject_ids in unused.items():
                        await delete_unused_person_keys(conn, tenant_id, subject_ids)
        except Exception as exc:
            left = sum(len(ids) for ids in unused.values())
            log.warning("left %d unused person keys made ahead: %r", left, exc)
