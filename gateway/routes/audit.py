"""The audit log, for an agency's admins: who read, changed, exported or erased what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from core.errors import InvalidCommand
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from gateway.pagination import ListParams
from gateway.queries.audit_entries import AuditEntryView, entry_view
from stores.postgres import audit

router = APIRouter(tags=["audit"])


class AuditPage(BaseModel):
    items: list[AuditEntryView]
    next_cursor: str | None


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A time as UTC; one without a zone is taken as UTC (the API's times are)."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise InvalidCommand(
            f"`{name}` is outside the calendar once in UTC", errors={name: "out of range"}
        ) from None


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="The agency's audit log",
    description=(
        "Who read, changed, exported or erased which record, logged in or failed to, when "
        "and from which address: **newest first** (highest `seq` first) unless `sort` "
        "says otherwise. Admins only; only your agency's entries.\n\n"
        "Recorded: every change a worker applied (create, update, merge, erase, …; with "
        "the names of the fields set), reads of candidates, their documents and files, "
        "timelines and notes, client contacts, candidate lists, searches, duplicates and "
        "matches (with the ids answered), subject access exports, logins and failed "
        "logins to existing accounts. Entries hold ids, names and counts, never a value "
        "of a record nor a search's text.\n\n"
        "Filters combine: `subject_id` (entries about a record, and every list that "
        "answered it), `actor` (a user's, API key's or integration's id, or a job's name), "
        "`since` (inclusive) and `until` (exclusive), RFC 3339 times (without a zone, "
        "UTC). Pass `next_cursor` back as `cursor` (or follow `Link`) for the next page. "
        "`sort` orders by the chain (`created_at` and `updated_at` alike: entries never "
        "change), `created_since`/`updated_since` are `since` again and `ids` takes "
        "entries' ids.\n\n"
        "The entries of an agency form a hash chain (`prev_hash`, `hash`); `refactortrack "
        "audit verify --tenant T` checks it (see docs/security.md)."
    ),
    responses=problems(
        {
            400: "A cursor this list did not issue",
            403: "Only admins may read the audit log",
            422: "An invalid filter (an id, a time, `since` not before `until`)",
        }
    ),
)
async def list_audit(
    principal: Annotated[Principal, allow("audit:read")],
    stores: StoresDep,
    listing: ListParams,
    subject_id: Annotated[
        UUID | None, Query(description="Entries about this record (or a list that answered it)")
    ] = None,
    actor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[\w.:@-]+$",
            description="Entries of this actor: a user's, API key's or integration's id, or "
            "a job's name (`import`)",
        ),
    ] = None,
    since: Annotated[datetime | None, Query(description="At or after this time")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
) -> AuditPage:
    start, end = _utc("since", since), _utc("until", until)
    if start is not None and end is not None and start >= end:
        raise InvalidCommand(
            "`since` must be before `until`", errors={"until": "not after `since`"}
        )
    async with stores.db.read() as conn:
        entries, next_after = await audit.page(
            conn,
            principal.tenant_id,
            listing.window,
            subject_id=subject_id,
            actor=actor,
            since=start,
            until=end,
        )
    return AuditPage(
        items=[entry_view(e) for e in entries], next_cursor=listing.next_cursor(next_after)
    )
