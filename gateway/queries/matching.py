"""Matching reads: candidates for a requisition, open requisitions for a candidate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from core.clock import utcnow
from domain.geo import Point, locate
from domain.matching import (
    RULES,
    CandidateFacts,
    FoundIn,
    Match,
    RequisitionFacts,
    needs_work_authorization,
    score,
)
from domain.skills import skill_key, text_skill_keys
from gateway.queries.candidates import get_candidate
from gateway.queries.rows import get_one
from stores.bundle import Stores
from stores.postgres.documents import latest_documents
from stores.postgres.pipeline import submissions_of, submissions_to
from stores.postgres.requisitions import REQUISITIONS, open_requisitions
from stores.search.nearby import point_of
from topics.candidates import CandidateSnapshot
from topics.requisitions import RequisitionSnapshot

CANDIDATE_POOL = 500
"""Candidates found by skill and then scored in full for one requisition."""
OPEN_REQUISITIONS = 1000


def _place(city: str | None, country: str | None, region: str | None) -> Point | None:
    return locate(city, country, region) if city else None


def _in_text(found: list[tuple[FoundIn, list[str]]], listed: dict[str, Any]) -> dict[str, FoundIn]:
    """Skill key -> the first place it is written, for skills not listed."""
    where: dict[str, FoundIn] = {}
    for place, keys in found:
        for key in keys:
            if key not in listed:
                where.setdefault(key, place)
    return where


def requisition_facts(r: RequisitionSnapshot) -> RequisitionFacts:
    location = r.location
    return RequisitionFacts(
        required_skills=list(r.required_skills),
        nice_to_have_skills=list(r.nice_to_have_skills),
        title=r.title,
        city=location.city if location else None,
        country=location.country if location else None,
        remote=location.remote if location else "onsite",
        start_by=r.target_date,
        bill_rate_max=r.bill_rate.max if r.bill_rate else None,
        currency=r.bill_rate.currency if r.bill_rate else None,
        point=_place(location.city, location.country, location.region) if location else None,
        needs_work_authorization=needs_work_authorization(r.description),
    )


def facts_from_document(doc: dict[str, Any]) -> CandidateFacts:
    years = doc.get("skill_years") or {}
    keys = doc.get("skill_keys") or [skill_key(s) for s in doc.get("skills") or []]
    rate = doc.get("rate_amount")
    available = doc.get("available_from")
    skills = {k: years.get(k) for k in keys}
    found: list[tuple[FoundIn, list[str]]] = [
        ("headline", doc.get("headline_skill_keys") or text_skill_keys(doc.get("headline"))),
        ("work_history", doc.get("work_skill_keys") or []),
        ("resume", doc.get("resume_skill_keys") or []),
    ]
    return CandidateFacts(
        skills=skills,
        headline=doc.get("headline"),
        city=doc.get("city"),
        country=doc.get("country"),
        remote=doc.get("remote"),
        available_from=date.fromisoformat(available) if available else None,
        rate=Decimal(str(rate)) if rate is not None else None,
        rate_currency=doc.get("rate_currency"),
        rate_unit=doc.get("rate_unit"),
        point=point_of(doc) or _place(doc.get("city"), doc.get("country"), None),
        willing_to_relocate=bool(doc.get("willing_to_relocate")),
        work_authorization=doc.get("work_authorization"),
        skills_in_text=_in_text(found, skills),
        titles=tuple(doc.get("work_titles") or ()),
    )


def facts_from_candidate(c: CandidateSnapshot, resume: str | None = None) -> CandidateFacts:
    skills = {skill_key(s.name): s.years for s in c.skills}
    jobs = "\n".join(f"{w.title or ''}\n{w.description or ''}" for w in c.work_history)
    found: list[tuple[FoundIn, list[str]]] = [
        ("headline", text_skill_keys(c.headline)),
        ("work_history", text_skill_keys(jobs)),
        ("resume", text_skill_keys(resume)),
    ]
    location = c.location
    return CandidateFacts(
        skills=skills,
        headline=c.headline,
        city=location.city if location else None,
        country=location.country if location else None,
        remote=location.remote if location else None,
        available_from=c.available_from,
        rate=c.desired_rate.amount if c.desired_rate else None,
        rate_currency=c.desired_rate.currency if c.desired_rate else None,
        rate_unit=c.desired_rate.unit if c.desired_rate else None,
        point=_place(location.city, location.country, location.region) if location else None,
        willing_to_relocate=c.willing_to_relocate,
        work_authorization=c.work_authorization,
        skills_in_text=_in_text(found, skills),
        titles=tuple(w.title for w in c.work_history if w.title),
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
    docs = await stores.search.candidates_with_skills(
        tenant_id,
        keys,
        size=CANDIDATE_POOL,
        required=[skill_key(s) for s in wanted.required_skills],
        near=wanted.point if wanted.remote != "remote" else None,
        within_km=RULES.onsite_commute_km if wanted.remote == "onsite" else RULES.hybrid_commute_km,
    )
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
    async with stores.db.read() as conn:
        open_rows = await open_requisitions(conn, tenant_id, limit=OPEN_REQUISITIONS)
        submitted = await submissions_of(conn, tenant_id, candidate_id)
        latest = await latest_documents(conn, [candidate_id])
    # The latest resume's skills count, as they do the other way round (from the index).
    resume = await stores.files.text(tenant_id, latest[0][1]) if latest else None
    facts = facts_from_candidate(candidate, resume)
    today = utcnow().date()
    ranked = []
    for row in open_rows:
        requisition = RequisitionSnapshot.model_validate(row)
        match = score(facts, requisition_facts(requisition), today)
        ranked.append((requisition, match, submitted.get(requisition.id)))
    ranked.sort(key=lambda t: (-t[1].score, str(t[0].id)))
    return ranked
