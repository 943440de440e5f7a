"""The audit log's rows: appends chained per agency, filtered pages, a chain's walk.

The chain's rules are domain/audit.py; this module only keeps them in Postgres. An append
locks its agency's head row (`audit_heads`) for the rest of the caller's transaction, so
one agency's entries take their seqs one after another, in commit order, and a change
and the entry that records it commit together (or neither does). The gateway's reads take
the other way, `append_after` (stores/audit_appends.py): one statement that moves a head
only from where the caller last saw it, without holding it across round trips.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, TextClause, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, CHAR, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import DateTime, String, TypeEngine, Uuid

from domain.audit import (
    GENESIS_HASH,
    AuditDraft,
    AuditEntry,
    ChainHead,
    ChainVerdict,
    ChainWalker,
    chain,
)
from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.keyset import Keys, Position, Window, fetch_page
from stores.postgres.tables import audit_heads, audit_log

VERIFY_PAGE = 5000
"""Entries read at a time while a chain is walked."""

# Creates the head on an agency's first entry; otherwise takes the row's lock and answers
# it unchanged, in one round trip.
_LOCK_HEAD = text(
    "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (:tenant, 0, :genesis) "
    "ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id "
    "RETURNING seq, hash"
)


async def append(conn: AsyncConnection, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
    """Chain the drafts onto their agencies' logs in the caller's transaction."""
    by_tenant: dict[UUID, list[AuditDraft]] = {}
    for d in drafts:
        by_tenant.setdefault(d.tenant_id, []).append(d)
    appended: list[AuditEntry] = []
    # Agencies in id order: two transactions that append for the same agencies lock
    # their heads in the same order, so one waits for the other instead of deadlocking.
    for tenant_id in sorted(by_tenant):
        found = (
            await conn.execute(_LOCK_HEAD, {"tenant": tenant_id, "genesis": GENESIS_HASH})
        ).one()
        head = ChainHead(int(found.seq), str(found.hash))
        mine = by_tenant[tenant_id]
        entries, new_head = chain(head, mine, [uuid.uuid4() for _ in mine])
        rows = [_row(e) for e in entries]
        if len(rows) >= BULK_MIN_ROWS:
            await copy_rows(conn, audit_log, rows)
            await conn.execute(
                update(audit_heads)
                .where(audit_heads.c.tenant_id == tenant_id)
                .values(seq=new_head.seq, hash=new_head.hash)
            )
        else:
            # The entries and the head's move in one statement, one round trip, whose text
            # depends only on the number of entries (compiled once per count).
            params: dict[str, Any] = {
                "tenant": tenant_id,
                "seq": new_head.seq,
                "hash": new_head.hash,
            }
            for i, row in enumerate(rows):
                params.update({f"e{i}_{name}": value for name, value in row.items()})
            await conn.execute(_append_locked_statement(len(rows)), params)
        appended.extend(entries)
    return appended


# --- appends on a head known beforehand (stores/audit_appends.py) -------------------------

_COLUMNS: tuple[tuple[str, str, TypeEngine[Any]], ...] = (
    ("tenant_id", "uuid", Uuid()),
    ("seq", "bigint", BigInteger()),
    ("id", "uuid", Uuid()),
    ("at", "timestamptz", DateTime(timezone=True)),
    ("action", "varchar", String()),
    ("actor", "varchar", String()),
    ("actor_kind", "varchar", String()),
    ("address", "varchar", String()),
    ("subject_type", "varchar", String()),
    ("subject_id", "uuid", Uuid()),
    ("subject_ids", "uuid[]", ARRAY(Uuid())),
    ("detail", "jsonb", JSONB()),
    ("prev_hash", "char(64)", CHAR(64)),
    ("hash", "char(64)", CHAR(64)),
)
_HEAD_COLUMNS: tuple[tuple[str, str, TypeEngine[Any]], ...] = (
    ("tenant_id", "uuid", Uuid()),
    ("old_seq", "bigint", BigInteger()),
    ("old_hash", "char(64)", CHAR(64)),
    ("new_seq", "bigint", BigInteger()),
    ("new_hash", "char(64)", CHAR(64)),
)


def _values(prefix: str, columns: Sequence[tuple[str, str, Any]], rows: int) -> str:
    return ", ".join(
        "(" + ", ".join(f"CAST(:{prefix}{i}_{name} AS {sql})" for name, sql, _ in columns) + ")"
        for i in range(rows)
    )


@lru_cache(maxsize=64)
def _append_locked_statement(entries: int) -> TextClause:
    """The entries written and the agency's head moved past them, in one statement, for
    `append` (which holds the head's lock). `.values(rows)` with the head's move as a CTE
    did the same, but was compiled afresh on every call: a set's audit entries cost more
    in SQLAlchemy's compiler than in Postgres."""
    names = ", ".join(name for name, _, _ in _COLUMNS)
    sql = (
        f"WITH entries AS (INSERT INTO audit_log ({names}) "
        f"VALUES {_values('e', _COLUMNS, entries)}) "
        "UPDATE audit_heads SET seq = :seq, hash = :hash WHERE tenant_id = :tenant"
    )
    typed = [
        bindparam(f"e{i}_{name}", type_=kind) for i in range(entries) for name, _, kind in _COLUMNS
    ]
    return text(sql).bindparams(
        *typed,
        bindparam("tenant", type_=Uuid()),
        bindparam("seq", type_=BigInteger()),
        bindparam("hash", type_=CHAR(64)),
    )


@lru_cache(maxsize=64)
def _append_after_statement(tenants: int, entries: int) -> TextClause:
    """One statement that moves each agency's head from the one expected to the new one
    and writes the entries of every agency whose head moved; it answers, for each agency,
    whether it moved, and if not, the head as the statement found it.

    The heads are locked in id order first (`locked`), as `append` locks them, so this
    statement and a transaction appending for the same agencies do not deadlock. An agency
    whose head is not where the caller expected (another process appended meanwhile)
    writes nothing, and the others are not held back by it. One round trip, and, in
    autocommit, one transaction; the same text for the same counts, so the driver's
    prepared statement serves it again.
    """
    heads = ", ".join(name for name, _, _ in _HEAD_COLUMNS)
    names = ", ".join(name for name, _, _ in _COLUMNS)
    tenant_ids = ", ".join(f"CAST(:h{i}_tenant_id AS uuid)" for i in range(tenants))
    sql = (
        "WITH locked AS ("
        f"SELECT tenant_id FROM audit_heads WHERE tenant_id IN ({tenant_ids}) "
        "ORDER BY tenant_id FOR NO KEY UPDATE), "
        f"expected ({heads}) AS (VALUES {_values('h', _HEAD_COLUMNS, tenants)}), "
        "moved AS (UPDATE audit_heads AS h SET seq = e.new_seq, hash = e.new_hash "
        "FROM expected AS e JOIN locked AS l ON l.tenant_id = e.tenant_id "
        "WHERE h.tenant_id = e.tenant_id AND h.seq = e.old_seq AND h.hash = e.old_hash "
        "RETURNING h.tenant_id), "
        f"entries ({names}) AS (VALUES {_values('e', _COLUMNS, entries)}), "
        f"written AS (INSERT INTO audit_log ({names}) SELECT {names} FROM entries "
        "WHERE tenant_id IN (SELECT tenant_id FROM moved)) "
        "SELECT tenant_id, true AS moved, NULL::bigint AS seq, NULL::char(64) AS hash "
        "FROM moved UNION ALL "
        "SELECT h.tenant_id, false, h.seq, h.hash FROM audit_heads AS h "
        f"WHERE h.tenant_id IN ({tenant_ids}) "
        "AND h.tenant_id NOT IN (SELECT tenant_id FROM moved)"
    )
    typed = [
        bindparam(f"{prefix}{i}_{name}", type_=kind)
        for prefix, columns, count in (("h", _HEAD_COLUMNS, tenants), ("e", _COLUMNS, entries))
        for i in range(count)
        for name, _, kind in columns
    ]
    return text(sql).bindparams(*typed)


async def heads_of(conn: AsyncConnection, tenant_ids: Sequence[UUID]) -> dict[UUID, ChainHead]:
    """Where these agencies' chains end now; an agency with no entry yet is left out."""
    c = audit_heads.c
    found = await conn.execute(
        select(c.tenant_id, c.seq, c.hash).where(c.tenant_id.in_(list(tenant_ids)))
    )
    return {row.tenant_id: ChainHead(int(row.seq), str(row.hash)) for row in found}


async def append_after(
    conn: AsyncConnection, chained: Mapping[UUID, tuple[ChainHead, Sequence[AuditEntry]]]
) -> tuple[set[UUID], dict[UUID, ChainHead]]:
    """Write entries chained beforehand on each agency's head as the caller last knew it,
    in one statement; see `_append_after_statement`.

    `chained`: agency → (the head its entries follow, the entries). Answers the agencies
    whose entries are written, and the head found for each of the others (absent: the
    agency has no head yet; `append` makes it). Run in autocommit, the written entries
    have committed when this returns.
    """
    params: dict[str, Any] = {}
    rows = 0
    for i, (tenant_id, (head, entries)) in enumerate(chained.items()):
        params |= {
            f"h{i}_tenant_id": tenant_id,
            f"h{i}_old_seq": head.seq,
            f"h{i}_old_hash": head.hash,
            f"h{i}_new_seq": entries[-1].seq,
            f"h{i}_new_hash": entries[-1].hash,
        }
        for entry in entries:
            params |= {f"e{rows}_{name}": value for name, value in _row(entry).items()}
            rows += 1
    statement = _append_after_statement(len(chained), rows)
    moved: set[UUID] = set()
    found: dict[UUID, ChainHead] = {}
    for row in await conn.execute(statement, params):
        if row.moved:
            moved.add(row.tenant_id)
        else:
            found[row.tenant_id] = ChainHead(int(row.seq), str(row.hash))
    return moved, found


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id,
        "seq": entry.seq,
        "id": entry.id,
        "at": entry.at,
        "action": entry.action,
        "actor": entry.actor,
        "actor_kind": entry.actor_kind,
        "address": entry.address,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "subject_ids": list(entry.subject_ids),
        "detail": dict(entry.detail),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        tenant_id=row.tenant_id,
        seq=int(row.seq),
        at=row.at,
        action=row.action,
        actor=row.actor,
        actor_kind=row.actor_kind,
        address=row.address,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_ids=tuple(row.subject_ids or ()),
        detail=row.detail or {},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# Listed in the order of the chain (`seq`), newest first unless asked otherwise; entries
# never change, so `updated_since` reads `at` as `created_since` does.
AUDIT_KEYS = Keys.of(audit_log, created="at", updated=None, id="id", order="seq")


async def page(
    conn: AsyncConnection,
    tenant_id: UUID,
    window: Window,
    *,
    subject_id: UUID | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], Position | None]:
    """A page of the agency's entries narrowed by each filter given, and where the next
    page resumes (None: the last page).

    `subject_id` finds the entries about a record and every list answer that returned
    it; `since` is inclusive, `until` exclusive.
    """
    c = audit_log.c
    query = select(audit_log).where(c.tenant_id == tenant_id)
    if subject_id is not None:
        query = query.where(c.subject_ids.contains([subject_id]))
    if actor is not None:
        query = query.where(c.actor == actor)
    if since is not None:
        query = query.where(c.at >= since)
    if until is not None:
        query = query.where(c.at < until)
    found = await fetch_page(conn, query, AUDIT_KEYS, window)
    return [_entry(SimpleNamespace(**row)) for row in found.rows], found.next_after


async def entries_about(
    conn: AsyncConnection, tenant_id: UUID, subject_ids: Sequence[UUID]
) -> list[AuditEntry]:
    """Every entry of the agency's that names any of these records, oldest first."""
    if not subject_ids:
        return []
    c = audit_log.c
    query = (
        select(audit_log)
        .where(c.tenant_id == tenant_id, c.subject_ids.overlap(list(subject_ids)))
        .order_by(c.seq)
    )
    return [_entry(r) for r in (await conn.execute(query)).all()]


async def head_of(conn: AsyncConnection, tenant_id: UUID) -> ChainHead:
    """Where the agency's chain ends as recorded (an empty chain if it has no entry yet)."""
    found = (
        await conn.execute(
            select(audit_heads.c.seq, audit_heads.c.hash).where(
                audit_heads.c.tenant_id == tenant_id
            )
        )
    ).first()
    return ChainHead(int(found.seq), str(found.hash)) if found else ChainHead()


async def verify_chain(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    anchor: ChainHead | None = None,
    page_size: int = VERIFY_PAGE,
) -> ChainVerdict:
    """Walk the agency's chain from its first entry; the verdict names the first break.

    Give it a connection in a snapshot (`Database.snapshot()`): the head and the entries
    must be read at one instant, or an append made meanwhile looks like a break.
    `anchor`: a head recorded earlier that the chain must still pass through.
    """
    head = await head_of(conn, tenant_id)
    walker = ChainWalker(anchor)
    after = 0
    c = audit_log.c
    while True:
        rows = (
            await conn.execute(
                select(audit_log)
                .where(c.tenant_id == tenant_id, c.seq > after)
                .order_by(c.seq)
                .limit(page_size)
            )
        ).all()
        if not rows:
            break
        entries = [_entry(r) for r in rows]
        if walker.feed(entries) is not None:
            break
        after = entries[-1].seq
    return walker.finish(head)
