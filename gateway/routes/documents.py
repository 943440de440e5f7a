"""Resumes: the file is checked and stored, then a command has the resume reader read it.

The gateway only sniffs (magic bytes, the zip's directory as bytes, a UTF-8 decode):
reading is the worker's, in a process with limits (agents/documents/).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from core.errors import NotFound, UnsupportedMediaType
from domain.resume_files import check_content, media_type_for
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
from gateway.openapi import LOCATION
from gateway.pagination import ListParams
from gateway.queries.candidates import get_candidate
from gateway.responses import outcome_response, wants_async
from stores.postgres.documents import documents_page, get_document, list_documents
from topics.candidates import DOCUMENT_ATTACH, DocumentSnapshot
from topics.names import DOCUMENT_COMMANDS

router = APIRouter(prefix="/candidates", tags=["candidates"])


class DocumentList(BaseModel):
    items: list[DocumentSnapshot]
    next_cursor: str | None


@router.post(
    "/{candidate_id}/documents",
    status_code=201,
    response_model=DocumentSnapshot,
    summary="Upload a resume",
    description=(
        "Multipart form with a `file`: PDF, DOCX or TXT (UTF-8), up to MAX_UPLOAD_BYTES "
        "(10 MiB by default). The content must be what the name says (checked from its "
        "first bytes before anything is accepted). The text is extracted in a process with "
        "limits (RESUME_*: pages, inflated size, CPU, memory, time); a file that breaks one "
        "is refused with 422 and `limit` naming it. The skills the text mentions that the "
        "profile lacks come back as `proposed_skills` (k8s is Kubernetes, js is JavaScript, …)."
    ),
    responses={
        201: {
            "description": "Read: the document as stored, with its proposed skills "
            "(`Location`: where its file is downloaded)",
            "headers": {"Location": LOCATION},
            "content": {"application/json": {"example": examples.DOCUMENT_SNAPSHOT}},
            "links": {
                "document_content": {
                    "operationId": "document_content",
                    "parameters": {
                        "candidate_id": "$request.path.candidate_id",
                        "document_id": "$response.body#/id",
                    },
                }
            },
        },
        **problems(
            {
                400: "Not a multipart form with a `file`",
                404: "No such candidate in your agency",
                413: "The file is larger than MAX_UPLOAD_BYTES",
                415: "Not a PDF, DOCX or TXT file (by its name or its content)",
                422: "Empty, damaged, not the type its name says, or over a limit "
                "(`limit` names it)",
            }
        ),
    },
)
async def upload_document(
    candidate_id: UUID,
    file: UploadFile,
    principal: Annotated[Principal, allow("candidates:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    await get_candidate(stores, principal.tenant_id, candidate_id)
    filename = file.filename or "resume"
    media_type = media_type_for(filename, file.content_type)
    if media_type is None:
        raise UnsupportedMediaType(
            f"{filename} is not a PDF, DOCX or TXT file; upload a resume in one of those.",
            field="file",
        )
    content = await file.read()
    # Before anything is stored or published: a file that is not what it says is
    # answered now, and never reaches a worker.
    check_content(content, media_type, filename)
    sha256 = hashlib.sha256(content).hexdigest()
    document_id = uuid.uuid4()
    # The file is stored first (it is too large for a Kafka message); the command names it.
    # It is sealed with the candidate's key: erasing the person shreds it, backups too.
    await stores.files.put(principal.tenant_id, candidate_id, document_id, content)
    payload = {
        "document_id": str(document_id),
        "candidate_id": str(candidate_id),
        "filename": filename,
        "media_type": media_type,
        "size": len(content),
        "sha256": sha256,
    }
    outcome = await bus.submit(
        principal,
        topic=DOCUMENT_COMMANDS,
        type=DOCUMENT_ATTACH,
        key=candidate_id,
        payload=payload,
        fingerprint=[str(candidate_id), filename, sha256],
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )
    if outcome.status == "rejected":
        await stores.mongo.delete_files([document_id])

    async def load(resource_id: UUID) -> DocumentSnapshot:
        async with stores.db.read() as conn:
            found = await list_documents(conn, principal.tenant_id, candidate_id)
        return next(DocumentSnapshot.model_validate(d) for d in found if d["id"] == resource_id)

    response = await outcome_response(
        outcome, load, created_location=f"/api/v1/candidates/{candidate_id}/documents"
    )
    if "Location" in response.headers:
        # The document is its file: `Location` is where it is downloaded.
        response.headers["Location"] = _content_path(candidate_id, document_id)
    return response


def _content_path(candidate_id: UUID, document_id: UUID) -> str:
    return f"/api/v1/candidates/{candidate_id}/documents/{document_id}/content"


@router.get(
    "/{candidate_id}/documents",
    response_model=DocumentList,
    summary="A candidate's documents",
    description=(
        "Oldest first unless `sort` says otherwise, with the skills each proposed. A "
        "document never changes: `updated_at` sorts and filters as `created_at`. The ids "
        "answered are recorded in the audit log (`list`)."
    ),
    responses=problems({404: "No such candidate in your agency"}),
)
async def candidate_documents(
    candidate_id: UUID,
    principal: Annotated[Principal, allow("candidates:read")],
    stores: StoresDep,
    listing: ListParams,
) -> DocumentList:
    await get_candidate(stores, principal.tenant_id, candidate_id)
    async with stores.db.read() as conn:
        found = await documents_page(conn, principal.tenant_id, candidate_id, listing.window)
    items = [DocumentSnapshot.model_validate(d) for d in found.rows]
    await record_list(
        stores,
        principal,
        "document",
        [d.id for d in items],
        view="documents",
        about=("candidate", candidate_id),
    )
    return DocumentList(items=items, next_cursor=listing.next_cursor(found.next_after))


def safe_filename(filename: str) -> str:
    """A plain ASCII name for clients that do not read `filename*`: letters, digits and
    `.-_` kept, anything else (quotes, slashes, control or non-ASCII characters) `_`,
    never a hidden or empty name."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")[:150]
    return plain or "document"


def _disposition(filename: str) -> str:
    # RFC 6266/5987: an ASCII fallback, and the name as the uploader gave it,
    # percent-encoded, so no quote, newline or non-Latin-1 character can break the header.
    return (
        f'attachment; filename="{safe_filename(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


@router.get(
    "/{candidate_id}/documents/{document_id}/content",
    response_class=Response,
    summary="Download a document's stored file",
    description=(
        "The file exactly as it was uploaded, with its media type and its name in "
        "`Content-Disposition` (always an attachment, so a browser never renders it in "
        "the API's origin; `filename` is an ASCII-safe form of the name, `filename*` the "
        "name itself), `ETag` (the file's SHA-256) and `X-Content-Type-Options: nosniff`. "
        "The upload's `Location` points here. Another agency's, an unknown or an erased "
        "person's document answers 404. The read is recorded in the audit log (`read`, "
        "view `document_content`)."
    ),
    responses={
        200: {
            "description": "The file's bytes",
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment; filename=\"cv.pdf\"; filename*=UTF-8''cv.pdf`",
                    "schema": {"type": "string"},
                },
                "ETag": {
                    "description": "The file's SHA-256, quoted",
                    "schema": {"type": "string"},
                },
            },
            "content": {
                "application/pdf": {},
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
                "text/plain": {},
            },
        },
        **problems({404: "No such document of this candidate in your agency"}),
    },
)
async def document_content(
    candidate_id: UUID,
    document_id: UUID,
    principal: Annotated[Principal, allow("candidates:read")],
    stores: StoresDep,
) -> Response:
    async with stores.db.read() as conn:
        document = await get_document(conn, principal.tenant_id, candidate_id, document_id)
    # Kept sealed with the candidate's key; None when the file is gone or no longer opens.
    content = await stores.files.content(principal.tenant_id, document_id) if document else None
    if document is None or content is None:
        raise NotFound(f"no document {document_id} of candidate {candidate_id}")
    await record_read(
        stores,
        principal,
        "document",
        document_id,
        view="document_content",
        related=[candidate_id],
    )
    return Response(
        content=content,
        media_type=document["media_type"],
        headers={
            "Content-Disposition": _disposition(document["filename"]),
            "ETag": f'"{document["sha256"]}"',
            "X-Content-Type-Options": "nosniff",
            # Personal data: no shared cache keeps a copy.
            "Cache-Control": "private, no-store",
        },
    )
