"""`python -m bench.audit_round_trips`: what the driver sends for one audit entry, each way.

Counts asyncpg's calls that each cost a round trip to Postgres (a statement prepared, a
prepared statement executed, a plain query such as BEGIN or COMMIT) over 20 appends, after
a warm-up, for the gateway's group commit (stores/audit_appends.py) and for the locking
transaction (stores/postgres/audit.py `append`). Writes to two new agencies of whichever
database POSTGRES_DB names (use your own bench or test database).
"""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asyncpg.connection import Connection  # type: ignore[import-untyped]  # ships no type information
from asyncpg.prepared_stmt import PreparedStatement  # type: ignore[import-untyped]

from core.clock import utcnow
from core.settings import get_settings
from domain.audit import AuditDraft, draft
from stores.audit_appends import AuditAppends
from stores.postgres import audit
from stores.postgres.database import Database

APPENDS = 20
calls: collections.Counter[str] = collections.Counter()


def _count(cls: type, name: str, label: str) -> None:
    original: Callable[..., Awaitable[Any]] = getattr(cls, name)

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[label] += 1
        return await original(self, *args, **kwargs)

    setattr(cls, name, counted)


def _entry(tenant_id: uuid.UUID) -> AuditDraft:
    return draft(
        tenant_id,
        "list",
        actor="bench",
        actor_kind="user",
        at=utcnow(),
        subject_ids=[uuid.uuid4()],
        detail={"view": "search", "items": "candidate", "count": 1},
    )


async def _measure() -> dict[str, dict[str, int]]:
    _count(Connection, "_prepare", "prepare")
    _count(Connection, "execute", "plain query")
    for method in ("fetch", "fetchrow", "fetchval", "executemany"):
        _count(PreparedStatement, method, "execute prepared")
    db = Database(get_settings())
    await db.start()
    grouped, grouped_tenant, locked_tenant = AuditAppends(db), uuid.uuid4(), uuid.uuid4()

    async def group() -> None:
        await grouped.append(_entry(grouped_tenant))

    async def lock() -> None:
        async with db.transaction() as conn:
            await audit.append(conn, [_entry(locked_tenant)])

    found: dict[str, dict[str, int]] = {}
    try:
        for name, append in (("group commit", group), ("locking transaction", lock)):
            for _ in range(5):  # the head made, each statement prepared on its connection
                await append()
            calls.clear()
            for _ in range(APPENDS):
                await append()
            found[name] = dict(calls)
    finally:
        await db.stop()
    return found


def main() -> None:
    for name, counted in asyncio.run(_measure()).items():
        per = ", ".join(f"{label} {n / APPENDS:g}" for label, n in sorted(counted.items()))
        print(f"{name}: round trips per append: {sum(counted.values()) / APPENDS:g} ({per})")


if __name__ == "__main__":
    main()
