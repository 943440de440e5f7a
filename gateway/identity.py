"""Whether the user behind a valid token may still act, re-read every few seconds.

A token stays valid until it expires, but the person may have been disabled, changed
their password, had their role changed, or their agency suspended since. Every request
asks; the answer is cached for `AUTH_RECHECK_SECONDS`, so a revocation takes effect
within seconds without a database read per request. When the cached answer is too old,
the requests of that user that arrive while it is read again share the one read (under
load, every concurrent request of the user used to read it at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from gateway.auth import InvalidToken, Principal, Token
from stores.bundle import Stores
from stores.postgres import users as users_repo

KEY_USE_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Standing:
    row: dict[str, Any] | None
    read_at: float


class Identities:
    def __init__(self, stores: Stores, recheck_seconds: float) -> None:
        self._stores = stores
        self._recheck = recheck_seconds
        self._cache: dict[UUID, _Standing] = {}
        self._keys_noted: dict[UUID, float] = {}
        # The read of a user's standing in flight, which the requests that need it await.
        self._reading: dict[UUID, asyncio.Task[_Standing]] = {}

    async def confirm(self, token: Token) -> Principal:
        """The token's principal as the user stands now (current role); InvalidToken if the
        user is gone or disabled, their agency suspended, or the token revoked."""
        row = await self._standing(token.principal.id)
        if row is None or not row["is_active"]:
            raise InvalidToken("the user no longer exists or is disabled")
        if row["suspended_at"] is not None:
            raise InvalidToken("the agency is suspended")
        if row["tenant_id"] != token.principal.tenant_id:
            raise InvalidToken("the token belongs to another agency")
        if token.issued_at < row["tokens_valid_after"]:
            raise InvalidToken("the token was revoked (a new password, or the user disabled)")
        return Principal(
            id=row["id"], tenant_id=row["tenant_id"], role=row["role"], username=row["username"]
        )

    def note_key_use(self, key_id: UUID) -> bool:
        """Whether to record an API key's use now: at most once a minute per process."""
        now = time.monotonic()
        if now - self._keys_noted.get(key_id, -KEY_USE_EVERY_SECONDS) < KEY_USE_EVERY_SECONDS:
            return False
        if len(self._keys_noted) > 100_000:
            self._keys_noted.clear()
        self._keys_noted[key_id] = now
        return True

    def forget(self, user_id: UUID) -> None:
        """Read the user afresh next time (this gateway just changed them): a read in
        flight, which may have started before the change, is not waited for or kept."""
        self._cache.pop(user_id, None)
        self._reading.pop(user_id, None)

    async def _standing(self, user_id: UUID) -> dict[str, Any] | None:
        cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() - cached.read_at < self._recheck:
            return cached.row
        reading = self._reading.get(user_id)
        if reading is None:
            # A task of its own, not the first request's: one that goes away (a client
            # that disconnects) must not cancel the read the others wait for.
            reading = asyncio.get_running_loop().create_task(self._read(user_id))
            reading.add_done_callback(self._read_done(user_id))
            self._reading[user_id] = reading
        # Started after the cached answer grew too old, so as fresh as a read of one's own.
        return (await asyncio.shield(reading)).row

    async def _read(self, user_id: UUID) -> _Standing:
        read_at = time.monotonic()  # the answer is as old as the moment it was asked
        async with self._stores.db.lookup() as conn:
            row = await users_repo.standing(conn, user_id)
        standing = _Standing(row, read_at)
        # Kept only if `forget` did not come meanwhile (the read may predate the change).
        if self._reading.get(user_id) is asyncio.current_task():
            if len(self._cache) > 100_000:
                self._cache.clear()  # a bound, not an eviction policy: it refills in seconds
            self._cache[user_id] = standing
        return standing

    def _read_done(self, user_id: UUID) -> Callable[[asyncio.Task[_Standing]], None]:
        def done(task: asyncio.Task[_Standing]) -> None:
            if self._reading.get(user_id) is task:
                del self._reading[user_id]
            # Every waiter may have gone: a failure nobody awaits is not "never retrieved".
            if not task.cancelled():
                task.exception()

        return done
