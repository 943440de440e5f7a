"""Whether the user behind a valid token may still act, re-read every few seconds.

A token stays valid until it expires, but the person may have been disabled, changed
their password, had their role changed, or their agency suspended since. Every request
asks; the answer is cached for `AUTH_RECHECK_SECONDS`, so a revocation takes effect
within seconds without a database read per request.
"""

from __future__ import annotations

import time
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
        """Read the user afresh next time (this gateway just changed them)."""
        self._cache.pop(user_id, None)

    async def _standing(self, user_id: UUID) -> dict[str, Any] | None:
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached.read_at < self._recheck:
            return cached.row
        async with self._stores.db.read() as conn:
            row = await users_repo.standing(conn, user_id)
        if len(self._cache) > 100_000:
            self._cache.clear()  # a bound, not an eviction policy: it refills in seconds
        self._cache[user_id] = _Standing(row, now)
        return row
