"""Matching reads: candidates for a requisition, open requisitions for a candidate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from core.clock import utcnow
from domain.matching import CandidateFacts, Match, RequisitionFacts, score
from domain.skills import skill_key
from gateway.queries.candidates import get_candidate
from gateway.queries.rows import get_one
from stores.bundle import Stores
from stores.postgres.pipeline import submissions_of, submissions_to
from stores.postgres.requisitions import REQUISITIONS, open_requisitions
from topics.candidates import CandidateSnapshot
from topics.requisitions import RequisitionSnapshot

CANDIDATE_POOL = 500
"""Candidates found by skill and then scored in full for one requisition."""
OPEN_REQUISITIONS = 1000


def requisition_facts(r: RequisitionSnapshot) -> RequisitionFacts:
    return RequisitionFacts(
        required_skills=list(r.required_skills),
        nice_to_have_skills=list(r.nice_to_have_skills),
        title=r.title,
        city=r.location.city if r.location else None,
        country=r.location.country if r.location else None,
        remote=r.location.remote if r.location else "onsite",
        start_by=r.target_date,
        bill_rate_max=r.bill_rate.max if r.bill_rate else None,
        currency=r.bill_rate.currency if r.bill_rate else None,
    )


def facts_from_document(doc: dict[str, Any]) -> CandidateFacts:
    years = doc.get("skill_years") or {}
    keys = doc.get("skill_keys") or [skill_key(s) for s in doc.get("skills") or []]
    rate = doc.get("rate_amount")
    available = doc.get("available_from")
    return CandidateFacts(
        skills={k: years.get(k) for k in keys},
        headline=doc.get("headline"),
        city=doc.get("city"),
        country=doc.get("country"),
        remote=doc.get("remote"),
        available_from=date.fromisoformat(available) if available else None,
        rate=Decimal(str(rate)) if rate is not None else None,
        rate_currency=doc.get("rate_currency"),
    )


def facts_from_candidate(c: CandidateSnapshot) -> CandidateFacts:
    return CandidateFacts(
        skills={skill_key(s.name): s.years for s in c.skills},
        headline=c.headline,
        city=c.location.city if c.location else None,
        country=c.location.country if c.location else None,
        remote=c.location.remote if c.location else None,
        available_from=c.available_from,
        rate=c.desired_rate.amount if c.desired_rate else None,
        rate_currency=c.desired_rate.currency if c.desired_rate else None,
    )


async def candidates_for(
    stores: Stores, tenant_id: UUID, requisition_id: UUID
) -> tuple[RequisitionSnapshot, list[tuple[dict[str, Any], Match, UUID | None]]]:
    """The requisition and its candidates, best first, each with its submission if any."""
    requisition = await get_one(
        stores, REQUISITIONS, RequisitionSnapshot, tenant_id, requisition_id
    )
    wanted = requisition_facts(requisition)
    keys = sorted({skill_key(s) for s in [*wanted.required_skills, *wanted.nice_to_have_skills]})
    docs = await stores.search.candidates_with_skills(tenant_id, keys, size=CANDIDATE_POOL)
    async with stores.db.read() as conn:
        in_pipeline = await submissions_to(conn, tenant_id, requisition_id)
    today = utcnow().date()
    ranked = [
        (doc, score(facts_from_document(doc), wanted, today), in_pipeline.get(UUID(doc["id"])))
        for doc in docs
    ]
    ranked.sort(key=lambda t: (-t[1].score, t[0]["id"]))
    return requisition, ranked


async def requisitions_for(
    stores: Stores, tenant_id: UUID, candidate_id: UUID
) -> list[tuple[RequisitionSnapshot, Match, UUID | None]]:
    """Open requisitions for the candidate, best first, each with its submission if any."""
    candidate = await get_candidate(stores, tenant_id, candidate_id)
    facts = facts_from_candidate(candidate)
    async with stores.db.read() as conn:
        open_rows = await open_requisitions(conn, tenant_id, limit=OPEN_REQUISITIONS)
        submitted = await submissions_of(conn, tenant_id, candidate_id)
    today = utcnow().date()
    ranked = []
    for row in open_rows:
        requisition = RequisitionSnapshot.model_validate(row)
        match = score(facts, requisition_facts(requisition), today)
        ranked.append((requisition, match, submitted.get(requisition.id)))
    ranked.sort(key=lambda t: (-t[1].score, str(t[0].id)))
    return ranked
