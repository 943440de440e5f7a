"""Keys for personal data: unwrapped on demand, cached briefly, created where missing.

The master key (from DATA_MASTER_KEY) wraps each agency's key; an agency key wraps each
person's key. Person keys are cached for a few seconds per process: erasing a person
deletes the key in Postgres at once (the erasing process forgets it too), and every other
process stops being able to open that person's data within `KEY_CACHE_SECONDS`.

New person keys are made by group commit (`_make`): the creates a process sends while one
insert of keys is in flight share the next insert, one transaction for the group, and
each gets its key only once that transaction committed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from core import crypto
from core.bounded_cache import BoundedCache
from core.errors import StoreUnavailable
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


Made = dict[tuple[UUID, UUID], tuple[int, bytes]]
"""(tenant, person) → (agency key version, wrapped key), for the keys an insert stored."""


class _KeyBatch:
    """Person keys asked for by the requests that came while another insert was in flight."""

    def __init__(self) -> None:
        self.wanted: dict[tuple[UUID, UUID], str] = {}
        self.requests: list[dict[tuple[UUID, UUID], str]] = []
        # A request whose own insert failed when the group was retried one by one.
        self.failed: dict[tuple[UUID, UUID], Exception] = {}
        self.done: asyncio.Future[Made] = asyncio.get_running_loop().create_future()
        # Every waiter may have gone (cancelled): the outcome is read anyway, so a failure
        # nobody waits for is not logged as "never retrieved".
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())

    def add(self, tenant_id: UUID, subjects: Mapping[UUID, str]) -> None:
        request = {(tenant_id, s): kind for s, kind in subjects.items()}
        self.requests.append(request)
        self.wanted.update(request)

    def fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


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
        # Group commit of new person keys (`_make`): the batch gathering while an insert is
        # in flight, the task that inserts one batch after another, and the loop of a
        # caller inserting its own keys (None: no such insert in flight).
        self._waiting: _KeyBatch | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._inline: asyncio.AbstractEventLoop | None = None

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
        async with self._db.lookup() as conn:
            current = await self._load_agency(conn, tenant_id)
        if version is None and current == 0:
            async with self._db.transaction() as conn:
                key = crypto.new_key()
                await repo.insert_agency_key(
                    conn, tenant_id, 1, self.wrap_agency_key(tenant_id, 1, key)
                )
            async with self._db.lookup() as conn:
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

    def remember(self, tenant_id: UUID, subject_id: UUID, key: bytes) -> None:
        """Trust this key of this person for KEY_CACHE_SECONDS, as one read or made."""
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
            async with self._db.lookup() as conn:
                stored.update(await repo.person_keys_of(conn, tenant_id, unread))
        for subject_id, (version, wrapped) in stored.items():
            _, agency = await self.agency_key(tenant_id, version)
            key = crypto.open_sealed(agency, wrapped, _person_context(tenant_id, subject_id))
            self.remember(tenant_id, subject_id, key)
            found[subject_id] = key
        return found

    async def _make(
        self, tenant_id: UUID, subjects: Mapping[UUID, str]
    ) -> dict[UUID, tuple[int, bytes]]:
        """Make these people's keys, together with those other requests of this process ask
        for meanwhile: a create waits for one insert at most (the one in flight, if any,
        then the next, which carries every request that came during the first), and the
        gateway spends one statement on a group of concurrent creates, not one each.

        With no insert in flight, the caller inserts its own keys itself: a task to start
        and a wake-up to wait for are each a turn of the event loop, tens of milliseconds
        in a busy gateway. Those that come meanwhile gather behind it, as behind a batch.

        Answers with the keys it inserted (a person another process made first is not in
        the answer: the caller reads theirs), once the statement committed: nothing is
        sealed under a key that is not stored yet."""
        loop = asyncio.get_running_loop()
        if self._flusher is not None and self._flusher.get_loop() is not loop:
            # A keyring outliving its event loop (a test's, a job's asyncio.run): what the
            # old loop left is not this one's to wait for.
            self._flusher, self._waiting = None, None
        if self._inline is not None and self._inline is not loop:
            self._inline = None
        idle = self._flusher is None or self._flusher.done()
        if idle and self._inline is None and self._waiting is None:
            self._inline = loop
            try:
                made = await self._insert_all({(tenant_id, s): t for s, t in subjects.items()})
            finally:
                # Cancelled or not, those that gathered meanwhile are inserted.
                self._inline = None
                if self._waiting is not None:
                    self._flusher = loop.create_task(self._flush())
            return {s: made[(tenant_id, s)] for s in subjects if (tenant_id, s) in made}
        batch = self._waiting
        if batch is None:
            batch = self._waiting = _KeyBatch()
        batch.add(tenant_id, subjects)
        if idle and self._inline is None:
            # A task of its own, not the first caller's: a request that goes away (a client
            # that disconnects) must not take the others' insert with it.
            self._flusher = loop.create_task(self._flush())
        # Shielded for the same reason: cancelling one waiter leaves the batch to the others.
        made = await asyncio.shield(batch.done)
        for subject_id in subjects:
            if (failed := batch.failed.get((tenant_id, subject_id))) is not None:
                raise failed
        return {s: made[(tenant_id, s)] for s in subjects if (tenant_id, s) in made}

    async def _flush(self) -> None:
        """Insert the waiting batch, and the one that gathered meanwhile, until none waits."""
        while (batch := self._waiting) is not None:
            self._waiting = None
            try:
                made = await self._insert_batch(batch)
            except asyncio.CancelledError as exc:
                # The process stops: those waiting are told Postgres was not reached, and
                # answer 503 (nothing was sealed, nothing sent).
                batch.fail(StoreUnavailable("postgres", exc))
                if self._waiting is not None:
                    self._waiting.fail(StoreUnavailable("postgres", exc))
                    self._waiting = None
                raise
            except Exception as exc:  # every waiter raises it
                batch.fail(exc)
            else:
                batch.done.set_result(made)

    async def _insert_batch(self, batch: _KeyBatch) -> Made:
        try:
            return await self._insert_all(batch.wanted)
        except StoreUnavailable:
            raise  # Postgres away: every request of the batch would meet the same
        except Exception:
            if len(batch.requests) == 1:
                raise
        # Something about one request (an agency that does not exist, say) failed the
        # group: each request again on its own, so each gets its own answer, not another's.
        made: Made = {}
        for request in batch.requests:
            try:
                made.update(await self._insert_all(request))
            except Exception as exc:  # only that request's waiter raises it
                for key in request:
                    batch.failed[key] = exc
        return made

    async def _insert_all(self, wanted: Mapping[tuple[UUID, UUID], str]) -> Made:
        tenants = {tenant_id for tenant_id, _ in wanted}
        try:
            return await self._insert_under_current(wanted)
        except IntegrityError:
            # The version this process took for current was deleted by a rotation (a
            # person key must name an agency key that exists): read the versions again.
            for tenant_id in tenants:
                self.forget_agency(tenant_id)
            return await self._insert_under_current(wanted)

    async def _insert_under_current(self, wanted: Mapping[tuple[UUID, UUID], str]) -> Made:
        rows = []
        for (tenant_id, subject_id), subject_type in wanted.items():
            version, agency = await self.agency_key(tenant_id)
            sealed = crypto.seal(agency, crypto.new_key(), _person_context(tenant_id, subject_id))
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "subject_id": subject_id,
                    "subject_type": subject_type,
                    "agency_key_version": version,
                    "wrapped": sealed,
                }
            )
        # Those another process made first are not answered here: the caller reads them.
        # One statement, so autocommit: no BEGIN and COMMIT round trips on every create.
        async with self._db.autocommit() as conn:
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
