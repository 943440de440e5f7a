"""Likely duplicates of a candidate: a narrow pool from Postgres, scored in `domain.duplicates`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.duplicates import PUBLIC_MAIL_DOMAINS, Match, Person, likely_duplicates
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
    emails = list(me.emails)
    async with stores.db.read() as conn:
        pool = await duplicate_pool(
            conn,
            tenant_id,
            candidate_id,
            first_name=me.first_name,
            last_name=me.last_name,
            phone_tails=[p[-7:] for p in me.phones],
            email_domains=sorted({e.rsplit("@", 1)[-1] for e in emails} - PUBLIC_MAIL_DOMAINS),
            email_locals=[e.split("@", 1)[0].replace(".", "").replace("_", "") for e in emails],
            limit=POOL_LIMIT,
        )
    profiles = await stores.mongo.get_profiles(tenant_id, [r["id"] for r in pool])
    person = Person(
        id=str(me.id),
        first_name=me.first_name,
        last_name=me.last_name,
        emails=emails,
        phones=list(me.phones),
        employers=[w.employer for w in me.work_history],
        city=me.location.city if me.location else None,
    )
    others = [_person(r, profiles.get(str(r["id"]))) for r in pool]
    return likely_duplicates(person, others)
