"""Every store adapter, started and stopped together by the process that owns them."""

from __future__ import annotations

import asyncio

from core.settings import Settings
from stores.at_rest import AtRest
from stores.audit_appends import AuditAppends
from stores.keyring import Keyring
from stores.mongo import MongoStore
from stores.postgres.database import Database
from stores.ready_keys import ReadyKeys
from stores.redis import RedisStore
from stores.resume_files import ResumeFiles
from stores.sealing import Sealer
from stores.search.store import SearchStore


class Stores:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings)
        self.mongo = MongoStore(settings)
        self.redis = RedisStore(settings)
        self.search = SearchStore(settings)
        self.keys = Keyring(self.db, settings)
        # The gateway's audit entries (reads before their answers), by group commit.
        self.audit = AuditAppends(self.db)
        self.sealer = Sealer(self.keys, self.db)
        # New people's ids with their keys made ahead (the gateway's creates).
        self.ready = ReadyKeys(self.keys, self.db, settings)
        # Personal data at rest: contact points (and their blind indexes), resume files.
        self.at_rest = AtRest(self.keys)
        self.files = ResumeFiles(self.mongo, self.keys)
        self._lock = asyncio.Lock()
        self._started = False

    async def start(self) -> None:
        """Idempotent, so an agent may call it before the worker's service did."""
        if self._started:
            return  # the usual case, on every apply: no lock to take
        async with self._lock:
            if self._started:
                return
            await self.db.start()
            await self.mongo.start()
            await self.redis.start()
            await self.search.start()
            self._started = True

    async def stop(self) -> None:
        async with self._lock:
            if not self._started:
                return
            await self.ready.release()
            await self.search.stop()
            await self.redis.stop()
            await self.mongo.stop()
            await self.db.stop()
            self._started = False

    async def prepare(self) -> None:
        """Create what the stores need that migrations do not: indexes and aliases."""
        await self.mongo.ensure_indexes()
        await self.search.ensure_indexes()
