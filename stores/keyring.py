"""Keys for personal data: unwrapped on demand, cached briefly, created where missing.

The master key (from DATA_MASTER_KEY) wraps each agency's key; an agency key wraps each
person's key. Person keys are cached for a few seconds per process: erasing a person
deletes the key in Postgres at once (the erasing process forgets it too), and every other
process stops being able to open that person's data within `KEY_CACHE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from core import crypto
from core.bounded_cache import BoundedCache
from core.settings import MissingSetting, Settings
from stores.postgres import keys as repo
from stores.postgres.database import Connection, Database


def _agency_context(tenant_id: UUID, version: int) -> bytes:
    return f"rt/agency-key/{tenant_id}/{version}".encode()


def _person_context(tenant_id: UUID, subject_id: UUID) -> bytes:
    return f"rt/person-key/{tenant_id}/{subject_id}".encode()


def index_key_of(agency_key: bytes) -> bytes:
    """The blind-index key of an agency key version: rotating the agency key rotates it."""
    return crypto.derive(agency_key, "blind index")


class Keyring:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._secret = settings.data_master_key
        # Off only to measure what sealing costs (PERSONAL_DATA_SEALING, never in production).
        self.sealing = settings.personal_data_sealing == "on"
        self._ttl = settings.key_cache_seconds
        self._master: bytes | None = None
        # (tenant, version) → agency key: a version's key never changes while it exists.
        self._agency: dict[tuple[UUID, int], bytes] = {}
        # tenant → (current version, until when that is trusted)
        self._current: dict[UUID, tuple[int, float]] = {}
        # Person keys, by (tenant, person): bounded (KEY_CACHE_SIZE), as a worker sees
        # every person of a million-row import.
        self._people: BoundedCache[tuple[UUID, UUID], bytes] = BoundedCache(
            settings.key_cache_size, self._ttl
        )
        self._lock = asyncio.Lock()

    # --- the master and agency keys ---------------------------------------------------

    def master(self) -> bytes:
        if self._master is None:
            if len(self._secret) < 32:
                raise MissingSetting(
                    "DATA_MASTER_KEY is not set (or shorter than 32 characters): it protects "
                    "every agency's keys. `bash deploy/local/stack.sh up` makes one for the "
                    "local stack; a deployment sets a random value of 32+ characters"
                )
            self._master = crypto.derive(self._secret.encode(), "refactortrack master key v1")
        return self._master

    def wrap_agency_key(self, tenant_id: UUID, version: int, key: bytes) -> bytes:
        return crypto.seal(self.master(), key, _agency_context(tenant_id, version))

    def _unwrap_agency_key(self, tenant_id: UUID, version: int, wrapped: bytes) -> bytes:
        return crypto.open_sealed(self.master(), wrapped, _agency_context(tenant_id, version))

    async def _load_agency(self, conn: Connection, tenant_id: UUID) -> int:
        versions = await repo.agency_key_versions(conn, tenant_id)
        # A version a rotation deleted is forgotten here too.
        for gone in [k for k in self._agency if k[0] == tenant_id and k[1] not in versions]:
            del self._agency[gone]
        for version, wrapped in versions.items():
            if (tenant_id, version) not in self._agency:
                key = self._unwrap_agency_key(tenant_id, version, wrapped)
                self._agency[(tenant_id, version)] = key
        current = max(versions, default=0)
        if current:
            self._current[tenant_id] = (current, time.monotonic() + self._ttl)
        return current

    async def agency_key(self, tenant_id: UUID, version: int | None = None) -> tuple[int, bytes]:
        """The agency's key in use (or the given version), made on first need."""
        if version is None:
            known = self._current.get(tenant_id)
            if known is not None and known[1] > time.monotonic():
                version = known[0]
        if version is not None and (tenant_id, version) in self._agency:
            return version, self._agency[(tenant_id, version)]
        async with self._db.read() as conn:
            current = await self._load_agency(conn, tenant_id)
        if version is None and current == 0:
            async with self._db.transaction() as conn:
                key = crypto.new_key()
                await repo.insert_agency_key(
                    conn, tenant_id, 1, self.wrap_agency_key(tenant_id, 1, key)
                )
            async with self._db.read() as conn:
                current = await self._load_agency(conn, tenant_id)
        wanted = current if version is None else version
        found = self._agency.get((tenant_id, wanted))
        if found is None:
            raise LookupError(f"agency {tenant_id} has no key version {wanted}")
        return wanted, found

    def forget_agency(self, tenant_id: UUID) -> None:
        self._current.pop(tenant_id, None)
        for cached in [k for k in self._agency if k[0] == tenant_id]:
            del self._agency[cached]

    async def index_key(self, tenant_id: UUID, version: int | None = None) -> bytes:
        """The agency's key for blind indexes (equal e-mails give equal digests), of the
        version in use or of the one given (the version the stored digests were made with)."""
        _, key = await self.agency_key(tenant_id, version)
        return index_key_of(key)

    # --- person keys --------------------------------------------------------------------

    def _cached(self, tenant_id: UUID, subject_id: UUID) -> bytes | None:
        return self._people.get((tenant_id, subject_id))

    def _remember(self, tenant_id: UUID, subject_id: UUID, key: bytes) -> None:
        self._people.put((tenant_id, subject_id), key)

    def forget(self, tenant_id: UUID, subject_ids: Iterable[UUID]) -> None:
        for subject_id in subject_ids:
            self._people.pop((tenant_id, subject_id))

    async def people(
        self,
        tenant_id: UUID,
        subject_ids: Iterable[UUID],
        *,
        create: Mapping[UUID, str] | None = None,
    ) -> dict[UUID, bytes]:
        """The keys of these people that exist; those in `create` (id → subject type) are
        made when missing. One round trip for those not cached (two when some exist already)."""
        wanted = set(subject_ids) | set(create or ())
        found: dict[UUID, bytes] = {}
        for subject_id in wanted:
            key = self._cached(tenant_id, subject_id)
            if key is not None:
                found[subject_id] = key
        missing = wanted - found.keys()
        if not missing:
            return found
        # A create names a new record, whose key is most likely missing: insert first
        # (one round trip on the hot path of every create) and read only what another
        # process made already, or what no create asked for.
        to_make = {s: t for s, t in (create or {}).items() if s in missing}
        stored = await self._make(tenant_id, to_make) if to_make else {}
        if unread := missing - stored.keys():
            async with self._db.read() as conn:
                stored.update(await repo.person_keys_of(conn, tenant_id, unread))
        for subject_id, (version, wrapped) in stored.items():
            _, agency = await self.agency_key(tenant_id, version)
            key = crypto.open_sealed(agency, wrapped, _person_context(tenant_id, subject_id))
            self._remember(tenant_id, subject_id, key)
            found[subject_id] = key
        return found

    async def _make(
        self, tenant_id: UUID, subjects: Mapping[UUID, str]
    ) -> dict[UUID, tuple[int, bytes]]:
        try:
            return await self._make_under_current(tenant_id, subjects)
        except IntegrityError:
            # The version this process took for current was deleted by a rotation (a
            # person key must name an agency key that exists): read the versions again.
            self.forget_agency(tenant_id)
            return await self._make_under_current(tenant_id, subjects)

    async def _make_under_current(
        self, tenant_id: UUID, subjects: Mapping[UUID, str]
    ) -> dict[UUID, tuple[int, bytes]]:
        version, agency = await self.agency_key(tenant_id)
        rows = [
            {
                "tenant_id": tenant_id,
                "subject_id": subject_id,
                "subject_type": subject_type,
                "agency_key_version": version,
                "wrapped": crypto.seal(
                    agency, crypto.new_key(), _person_context(tenant_id, subject_id)
                ),
            }
            for subject_id, subject_type in subjects.items()
        ]
        # Those another process made first are not answered here: the caller reads them.
        async with self._db.transaction() as conn:
            return await repo.insert_person_keys(conn, rows)

    async def person(
        self, tenant_id: UUID, subject_id: UUID, *, create_as: str | None = None
    ) -> bytes | None:
        create = {subject_id: create_as} if create_as else None
        return (await self.people(tenant_id, [subject_id], create=create)).get(subject_id)

    # --- rotation -----------------------------------------------------------------------

    def rewrap(
        self, tenant_id: UUID, subject_id: UUID, old: bytes, new: bytes, wrapped: bytes
    ) -> bytes:
        """A person key wrapped by the old agency key, wrapped again by the new one."""
        context = _person_context(tenant_id, subject_id)
        return crypto.seal(new, crypto.open_sealed(old, wrapped, context), context)
