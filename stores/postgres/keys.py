"""Agency and person keys as stored: wrapped, never in the clear (stores/keyring.py unwraps)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, any_, bindparam, delete, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import agency_keys, candidates, contacts, person_keys

_a = agency_keys.c
_p = person_keys.c


async def agency_key_versions(conn: AsyncConnection, tenant_id: UUID) -> dict[int, bytes]:
    found = await conn.execute(select(_a.version, _a.wrapped).where(_a.tenant_id == tenant_id))
    return {row.version: row.wrapped for row in found}


async def insert_agency_key(
    conn: AsyncConnection, tenant_id: UUID, version: int, wrapped: bytes
) -> bool:
    """False when that version exists already (another process made it first)."""
    done = await conn.execute(
        insert(agency_keys)
        .values(tenant_id=tenant_id, version=version, wrapped=wrapped)
        .on_conflict_do_nothing()
        .returning(_a.version)
    )
    return done.first() is not None


async def delete_agency_keys_below(conn: AsyncConnection, tenant_id: UUID, version: int) -> int:
    done = await conn.execute(
        delete(agency_keys).where(_a.tenant_id == tenant_id, _a.version < version)
    )
    return done.rowcount


async def person_keys_of(
    conn: AsyncConnection, tenant_id: UUID, subject_ids: Iterable[UUID]
) -> dict[UUID, tuple[int, bytes]]:
    """subject id → (agency key version, wrapped key), for those that have one."""
    ids = list(set(subject_ids))
    if not ids:
        return {}
    found = await conn.execute(
        # `= ANY(array)`: one statement, compiled once, however many ids (an import's
        # batch asks for hundreds; an IN list would be compiled afresh for each count).
        select(_p.subject_id, _p.agency_key_version, _p.wrapped).where(
            _p.tenant_id == tenant_id,
            _p.subject_id == any_(bindparam("subject_ids", ids, type_=ARRAY(Uuid))),
        )
    )
    return {row.subject_id: (row.agency_key_version, row.wrapped) for row in found}


_INSERT_PERSON_KEYS = text(
    # The rows as five arrays, unnested: one statement for any number of rows, compiled
    # and prepared once per connection (a VALUES list is a new statement for each count,
    # and the gateway's groups of concurrent creates come in every size), and no limit of
    # 32,767 parameters however many rows an import's batch brings.
    "INSERT INTO person_keys (tenant_id, subject_id, subject_type, agency_key_version, wrapped)"
    " SELECT * FROM unnest(CAST(:tenant_ids AS uuid[]), CAST(:subject_ids AS uuid[]),"
    " CAST(:subject_types AS varchar[]), CAST(:versions AS integer[]),"
    " CAST(:wrapped AS bytea[]))"
    " ON CONFLICT DO NOTHING"
    " RETURNING tenant_id, subject_id, agency_key_version, wrapped"
)


async def insert_person_keys(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> dict[tuple[UUID, UUID], tuple[int, bytes]]:
    """Each row: tenant_id, subject_id, subject_type, agency_key_version, wrapped, of any
    agencies (the gateway inserts the keys of concurrent creates together). A subject that
    has a key already keeps it; those inserted are answered by (tenant, subject), with
    (agency key version, wrapped key) as `person_keys_of` answers."""
    if not rows:
        return {}
    inserted = await conn.execute(
        _INSERT_PERSON_KEYS,
        {
            "tenant_ids": [r["tenant_id"] for r in rows],
            "subject_ids": [r["subject_id"] for r in rows],
            "subject_types": [r["subject_type"] for r in rows],
            "versions": [r["agency_key_version"] for r in rows],
            "wrapped": [r["wrapped"] for r in rows],
        },
    )
    return {
        (row.tenant_id, row.subject_id): (row.agency_key_version, row.wrapped) for row in inserted
    }


async def delete_person_keys(
    conn: AsyncConnection, tenant_id: UUID, subject_ids: Iterable[UUID]
) -> int:
    """Crypto-shredding: whatever was sealed with these keys can no longer be opened."""
    ids = list(subject_ids)
    if not ids:
        return 0
    done = await conn.execute(
        delete(person_keys).where(_p.tenant_id == tenant_id, _p.subject_id.in_(ids))
    )
    return done.rowcount


async def delete_unused_person_keys(
    conn: AsyncConnection, tenant_id: UUID, subject_ids: Iterable[UUID]
) -> int:
    """Delete the keys of these people that no record belongs to: made for a create that
    was refused (a duplicate, an invalid row), whose command still sits in a topic. A key
    of a person who exists is kept."""
    ids = list(set(subject_ids))
    if not ids:
        return 0
    unused = (
        delete(person_keys)
        .where(_p.tenant_id == tenant_id, _p.subject_id.in_(ids))
        .where(
            ~exists().where(
                candidates.c.tenant_id == _p.tenant_id, candidates.c.id == _p.subject_id
            )
        )
        .where(
            ~exists().where(contacts.c.tenant_id == _p.tenant_id, contacts.c.id == _p.subject_id)
        )
    )
    done = await conn.execute(unused)
    return done.rowcount


async def person_keys_under(
    conn: AsyncConnection, tenant_id: UUID, below_version: int, limit: int
) -> list[tuple[UUID, int, bytes]]:
    """A batch of person keys still wrapped by an agency key older than `below_version`."""
    found = await conn.execute(
        select(_p.subject_id, _p.agency_key_version, _p.wrapped)
        .where(_p.tenant_id == tenant_id, _p.agency_key_version < below_version)
        .order_by(_p.subject_id)
        .limit(limit)
    )
    return [(row.subject_id, row.agency_key_version, row.wrapped) for row in found]


async def rewrap_person_key(
    conn: AsyncConnection, tenant_id: UUID, subject_id: UUID, version: int, wrapped: bytes
) -> None:
    await conn.execute(
        person_keys.update()
        .where(_p.tenant_id == tenant_id, _p.subject_id == subject_id)
        .values(agency_key_version=version, wrapped=wrapped)
    )


async def count_person_keys(conn: AsyncConnection, tenant_id: UUID) -> int:
    found = await conn.execute(
        select(func.count()).select_from(person_keys).where(_p.tenant_id == tenant_id)
    )
    return int(found.scalar_one())


async def rewrap_person_keys(
    conn: AsyncConnection, tenant_id: UUID, rows: Sequence[tuple[UUID, int, int, bytes]]
) -> int:
    """Each (subject, from version, to version, wrapped): the key wrapped again, if it is
    still wrapped by `from version` (one erased meanwhile, or rewrapped by another run, is
    left). Returns how many changed."""
    changed = 0
    for subject_id, old, new, wrapped in rows:
        done = await conn.execute(
            person_keys.update()
            .where(
                _p.tenant_id == tenant_id,
                _p.subject_id == subject_id,
                _p.agency_key_version == old,
            )
            .values(agency_key_version=new, wrapped=wrapped)
        )
        changed += done.rowcount
    return changed


async def count_person_keys_under(conn: AsyncConnection, tenant_id: UUID, version: int) -> int:
    found = await conn.execute(
        select(func.count())
        .select_from(person_keys)
        .where(_p.tenant_id == tenant_id, _p.agency_key_version < version)
    )
    return int(found.scalar_one())


async def agency_key_list(conn: AsyncConnection, tenant_id: UUID) -> list[tuple[int, datetime]]:
    """(version, created_at) of the agency's keys, oldest first: no key material."""
    found = await conn.execute(
        select(_a.version, _a.created_at).where(_a.tenant_id == tenant_id).order_by(_a.version)
    )
    return [(row.version, row.created_at) for row in found]
