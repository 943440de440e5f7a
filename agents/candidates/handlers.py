"""Candidate command handlers: `verb_noun(command, ctx)`, routed by command type."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.candidates import rules
from agents.context import Applied, HandlerContext, new_event
from agents.ledger import record_applied
from agents.validation import invalid_from
from core.clock import utcnow
from core.errors import Conflict, Duplicate
from stores.postgres import candidates as repo
from topics.candidates import (
    CANDIDATE_CREATE,
    CANDIDATE_CREATED,
    CandidateCreate,
    CandidateSnapshot,
)
from topics.envelopes import CommandEnvelope

PROFILE_FIELDS = ("skills", "work_history", "education", "links")
JSONB_FIELDS = frozenset({"location", "desired_rate", "desired_salary", "consent"})


def split_candidate(snapshot: CandidateSnapshot) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Postgres record and the Mongo profile of one candidate snapshot."""
    native, as_json = snapshot.model_dump(), snapshot.model_dump(mode="json")
    record = {
        k: as_json[k] if k in JSONB_FIELDS else native[k]
        for k in (*repo.META_FIELDS, *repo.RECORD_FIELDS)
    }
    profile = {k: as_json[k] for k in PROFILE_FIELDS}
    profile["version"] = snapshot.version
    return record, profile


async def create_candidate(
    command: CommandEnvelope, ctx: HandlerContext, conn: AsyncConnection
) -> Applied:
    try:
        payload = CandidateCreate.model_validate(command.payload)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    emails = rules.normalize_emails(payload.emails)
    phones = rules.normalize_phones(payload.phones, ctx.settings.default_phone_region)
    points = rules.contact_points(emails, phones)
    now = utcnow()
    snapshot = CandidateSnapshot.model_validate(
        {
            **payload.model_dump(exclude={"candidate_id"}),
            "emails": emails,
            "phones": phones,
            "id": payload.candidate_id,
            "tenant_id": command.tenant_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    )
    record, profile = split_candidate(snapshot)
    event = new_event(
        command,
        type=CANDIDATE_CREATED,
        aggregate_id=snapshot.id,
        version=1,
        data=snapshot.model_dump(mode="json"),
    )
    if not await repo.insert_candidate(conn, record):
        raise Conflict(f"candidate {snapshot.id} already exists")
    if not await repo.claim_contact_points(conn, command.tenant_id, snapshot.id, points):
        await _reject_duplicate(conn, command, points)
    # A crash after this write but before commit leaves a profile without a record, which
    # the redelivered command overwrites; never a record without its profile.
    await ctx.stores.mongo.put_profile(command.tenant_id, snapshot.id, profile)
    await record_applied(conn, command, snapshot.id, [event])
    return Applied(snapshot.id, [event])


async def _reject_duplicate(
    conn: AsyncConnection, command: CommandEnvelope, points: list[tuple[str, str]]
) -> None:
    holder = await repo.find_contact_owner(conn, command.tenant_id, points)
    if holder is not None:
        candidate_id, kind, value = holder
        raise Duplicate(
            f"a candidate with {kind} {value} already exists",
            duplicate_of=str(candidate_id),
            field="emails" if kind == "email" else "phones",
        )


HANDLERS = {CANDIDATE_CREATE: create_candidate}
