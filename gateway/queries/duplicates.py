"""Likely duplicates of a candidate: a narrow pool from Postgres, scored in `domain.duplicates`.

The pool is found by name and by the blind indexes of phone tails, e-mail names and
company domains (the records hold e-mails and phones sealed); the scorer reads the
opened values.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.duplicates import Match, Person, likely_duplicates
from gateway.queries.candidates import get_candidate
from stores.bundle import Stores
from stores.postgres.candidates import duplicate_pool

POOL_LIMIT = 500


def _person(row: dict[str, Any], profile: dict[str, Any] | None) -> Person:
    history = (profile or {}).get("work_history") or []
    return Person(
        id=str(row["id"]),
        first_name=row["first_name"],
        last_name=row["last_name"],
        emails=list(row["emails"] or []),
        phones=list(row["phones"] or []),
        employers=[h["employer"] for h in history if h.get("employer")],
        city=(row.get("location") or {}).get("city"),
    )


async def find_duplicates(stores: Stores, tenant_id: UUID, candidate_id: UUID) -> list[Match]:
    me = await get_candidate(stores, tenant_id, candidate_id)
    emails, phones = list(me.emails), list(me.phones)
    async with stores.db.read() as conn:
        # Held while the pool is read: the digests are those of the version stored.
        index = await stores.at_rest.index(conn, tenant_id)
        pool = await duplicate_pool(
            conn,
            tenant_id,
            candidate_id,
            first_name=me.first_name,
            last_name=me.last_name,
            match_digests=index.match_digests(emails, phones),
            limit=POOL_LIMIT,
        )
    pool = await stores.at_rest.open_candidates(pool)
    profiles = await stores.mongo.get_profiles(tenant_id, [r["id"] for r in pool])
    person = Person(
        id=str(me.id),
        first_name=me.first_name,
        last_name=me.last_name,
        emails=emails,
        phones=phones,
        employers=[w.employer for w in me.work_history],
        city=me.location.city if me.location else None,
    )
    others = [_person(r, profiles.get(str(r["id"]))) for r in pool]
    return likely_duplicates(person, others)
