"""Notes on records, and a candidate's timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway import examples
from gateway.audit_trail import record_list, record_read
from gateway.auth import Principal
from gateway.deps import (
    BusDep,
    IdempotencyHeader,
    PreferHeader,
    StoresDep,
    allow,
)
from gateway.error_responses import problems
from gateway.openapi import LOCATION, links
from gateway.pagination import ListParams
from gateway.queries.candidates import get_candidate
from gateway.queries.rows import all_of, page
from gateway.writes import row_loader, write
from stores.postgres.notes import NOTES
from stores.postgres.pipeline import PLACEMENTS, SUBMISSIONS
from topics.names import NOTE_COMMANDS
from topics.notes import NOTE_CREATE, NoteFields, NoteSnapshot
from topics.pipeline import PlacementSnapshot, SubmissionSnapshot

router = APIRouter(tags=["notes"])


class NotePage(BaseModel):
    items: list[NoteSnapshot]
    next_cursor: str | None


class TimelineItem(BaseModel):
    at: datetime
    kind: Literal["created", "note", "stage_change", "placement"]
    summary: str
    detail: dict[str, Any]


class Timeline(BaseModel):
    items: list[TimelineItem]


@router.post(
    "/notes",
    status_code=201,
    response_model=NoteSnapshot,
    summary="Write a note",
    description="On a candidate, client, contact, requisition or submission of your agency; "
    "`kind` is call, email, meeting, prescreen or general.",
    responses={
        201: {
            "description": "Created: the note as stored (its URL in `Location`)",
            "headers": {"Location": LOCATION},
            "content": {"application/json": {"example": examples.NOTE_SNAPSHOT}},
            "links": links("subject_id", "list_notes", source="$response.body#/subject_id"),
        },
        **problems({404: "No such record in your agency"}),
    },
)
async def create_note(
    body: Annotated[
        NoteFields, Body(openapi_examples=examples.examples("A call", examples.NOTE_FIELDS))
    ],
    principal: Annotated[Principal, allow("notes:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    note_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=NOTE_COMMANDS,
        type=NOTE_CREATE,
        key=body.subject_id,
        payload={**fields, "note_id": str(note_id)},
        fingerprint=fields,
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, NOTES, NoteSnapshot, principal.tenant_id),
        created_location="/api/v1/notes",
    )


@router.get(
    "/notes",
    response_model=NotePage,
    summary="Notes on a record",
    description="Newest first unless `sort` says otherwise. The ids answered are recorded "
    "in the audit log (`list`).",
)
async def list_notes(
    principal: Annotated[Principal, allow("notes:read")],
    stores: StoresDep,
    subject_id: UUID,
    listing: ListParams,
) -> NotePage:
    found = await page(
        stores, NOTES, NoteSnapshot, principal.tenant_id, listing.window, subject_id=subject_id
    )
    await record_list(
        stores, principal, "note", [n.id for n in found.items], view="notes", related=[subject_id]
    )
    return NotePage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/candidates/{candidate_id}/timeline",
    response_model=Timeline,
    summary="A candidate's timeline",
    description=(
        "Creation, notes, stage changes in every pipeline and placements, oldest first. "
        "The read is recorded in the audit log (`read`, view `timeline`)."
    ),
    responses=problems({404: "No such candidate in your agency"}),
)
async def candidate_timeline(
    candidate_id: UUID, principal: Annotated[Principal, allow("candidates:read")], stores: StoresDep
) -> Timeline:
    tenant = principal.tenant_id
    candidate = await get_candidate(stores, tenant, candidate_id)
    items = [
        TimelineItem(
            at=candidate.created_at,
            kind="created",
            summary=f"{candidate.first_name} {candidate.last_name} added",
            detail={"source": candidate.source},
        )
    ]
    notes = await all_of(
        stores,
        NOTES,
        NoteSnapshot,
        tenant,
        order_by="created_at",
        subject_type="candidate",
        subject_id=candidate_id,
    )
    submissions = await all_of(
        stores,
        SUBMISSIONS,
        SubmissionSnapshot,
        tenant,
        order_by="created_at",
        candidate_id=candidate_id,
    )
    placements = await all_of(
        stores,
        PLACEMENTS,
        PlacementSnapshot,
        tenant,
        order_by="created_at",
        candidate_id=candidate_id,
    )
    for note in notes:
        items.append(
            TimelineItem(
                at=note.created_at,
                kind="note",
                summary=f"{note.kind} note",
                detail=note.model_dump(mode="json"),
            )
        )
    for submission in submissions:
        for entry in submission.history:
            items.append(
                TimelineItem(
                    at=entry.at,
                    kind="stage_change",
                    summary=f"{entry.from_stage or 'new'} → {entry.to}",
                    detail={
                        "submission_id": str(submission.id),
                        "requisition_id": str(submission.requisition_id),
                        **entry.model_dump(mode="json"),
                    },
                )
            )
    for placement in placements:
        items.append(
            TimelineItem(
                at=placement.created_at,
                kind="placement",
                summary=f"placed, starting {placement.start_date}",
                detail=placement.model_dump(mode="json"),
            )
        )
    items.sort(key=lambda item: item.at)
    await record_read(
        stores,
        principal,
        "candidate",
        candidate_id,
        view="timeline",
        related=[
            *(n.id for n in notes),
            *(s.id for s in submissions),
            *(p.id for p in placements),
        ],
    )
    return Timeline(items=items)
