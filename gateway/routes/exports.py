"""Subject access (GDPR art. 15): everything held about a person, as one JSON document."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from core.clock import utcnow
from gateway.audit_trail import record_export
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from gateway.queries.audit_entries import entry_view
from gateway.queries.candidates import get_candidate
from gateway.queries.subject_export import SubjectExport, gather
from stores.postgres import audit

router = APIRouter(prefix="/candidates", tags=["candidates"])


@router.get(
    "/{candidate_id}/export",
    response_model=SubjectExport,
    summary="Export everything held about a candidate (subject access)",
    description=(
        "One JSON document with all the agency holds about the person, for a subject "
        "access request (GDPR art. 15): the profile as `GET` answers it and the consent, "
        "the documents (each with `content_url`; with `documents=inline`, the file itself "
        "in `content_base64`), every submission with its stage history, interviews and "
        "feedback, the notes on the candidate and on their submissions, placements, the "
        "records of duplicates merged into them, and the audit entries about any of these "
        "(who read, changed or exported them), ending with this export's own. Carries "
        "`exported_at` and `format_version`. Admins only; the export is recorded in the "
        "audit log (`export`). An erased candidate holds nothing and answers 404."
    ),
    responses=problems(
        {
            403: "Only admins may export a person's data",
            404: "No such candidate in your agency (or erased)",
        }
    ),
)
async def export_candidate(
    candidate_id: UUID,
    principal: Annotated[Principal, allow("candidates:export")],
    stores: StoresDep,
    documents: Annotated[
        Literal["link", "inline"],
        Query(description="`inline` adds each file, base64, beside its link"),
    ] = "link",
) -> SubjectExport:
    tenant_id = principal.tenant_id
    profile = await get_candidate(stores, tenant_id, candidate_id)
    held = await gather(stores, tenant_id, profile, inline=documents == "inline")
    # Recorded before the audit entries are read, so the export lists itself last.
    await record_export(stores, principal, candidate_id, held.person_ids, documents=documents)
    async with stores.db.read() as conn:
        entries = await audit.entries_about(conn, tenant_id, held.record_ids())
    return held.export(utcnow(), [entry_view(e) for e in entries])
