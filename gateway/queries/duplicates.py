"""Likely duplicates of a candidate: a narrow pool from Postgres, scored in `domain.duplicates`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text

from domain.duplicates import PUBLIC_MAIL_DOMAINS, Match, Person, likely_duplicates
from gateway.queries.candidates import get_candidate
from stores.bundle import Stores

POOL_LIMIT = 500

# Candidates sharing a first or last name, a phone tail, an email name or a company
# domain: cheap to find, and every real near-duplicate shares at least one of these.
POOL_SQL = text(
    """
    SELECT id, first_name, last_name, emails, phones, location
    FROM candidates
    WHERE tenant_id = :tenant AND id <> :id AND (
        lower(last_name) = lower(:last) OR lower(first_name) = lower(:first)
        OR EXISTS (SELECT 1 FROM unnest(phones) p WHERE right(p, 7) = ANY(:tails))
        OR EXISTS (SELECT 1 FROM unnest(emails) e WHERE split_part(e, '@', 2) = ANY(:domains))
        OR EXISTS (SELECT 1 FROM unnest(emails) e
                   WHERE replace(replace(split_part(e, '@', 1), '.', ''), '_', '') = ANY(:locals))
    )
    LIMIT :limit
    """
)


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
    params = {
        "tenant": tenant_id,
        "id": candidate_id,
        "first": me.first_name,
        "last": me.last_name,
        "tails": [p[-7:] for p in me.phones],
        "domains": sorted({e.rsplit("@", 1)[-1] for e in emails} - PUBLIC_MAIL_DOMAINS),
        "locals": [e.split("@", 1)[0].replace(".", "").replace("_", "") for e in emails],
        "limit": POOL_LIMIT,
    }
    async with stores.db.read() as conn:
        pool = [dict(r) for r in (await conn.execute(POOL_SQL, params)).mappings()]
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
