"""What the gateway writes to the audit log: reads of personal records, exports, logins,
and the changes it writes itself (an agency's webhooks).

Changes are recorded by the workers, in the transaction that applies them (agents/
audit_trail.py). A read is recorded before it is answered: if the entry cannot be
written the caller gets 503, never an unrecorded answer.

An entry holds ids, a `view` naming what was read and counts; never a query's text (a
search for a name would put the name in the log) nor a value of the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from core.clock import utcnow
from domain.audit import AuditAction, AuditDraft, AuditEntry, draft
from gateway.auth import Principal
from stores.bundle import Stores
from stores.postgres import audit
from stores.postgres.database import Connection


def _drafted(
    principal: Principal,
    action: AuditAction,
    subject_type: str | None,
    subject_id: UUID | None,
    subject_ids: Iterable[UUID],
    detail: dict[str, Any],
) -> AuditDraft:
    """An entry of what the caller did now, from where they called."""
    return draft(
        principal.tenant_id,
        action,
        actor=str(principal.id),
        actor_kind=principal.kind,
        at=utcnow(),
        subject_type=subject_type,
        subject_id=subject_id,
        subject_ids=subject_ids,
        detail=detail,
        address=principal.address,
    )


async def _append_one(
    stores: Stores,
    principal: Principal,
    action: AuditAction,
    subject_type: str | None,
    subject_id: UUID | None,
    subject_ids: Iterable[UUID],
    detail: dict[str, Any],
) -> AuditEntry:
    # Written with the entries of the requests in flight meanwhile (stores/audit_appends.py),
    # and answered once committed.
    return await stores.audit.append(
        _drafted(principal, action, subject_type, subject_id, subject_ids, detail)
    )


async def record_read(
    stores: Stores,
    principal: Principal,
    subject_type: str,
    subject_id: UUID,
    *,
    view: str,
    related: Iterable[UUID] = (),
    **detail: Any,
) -> None:
    """One record was read (`related`: the other records the answer showed with it)."""
    await _append_one(
        stores, principal, "read", subject_type, subject_id, related, {"view": view, **detail}
    )


async def record_list(
    stores: Stores,
    principal: Principal,
    items: str,
    returned: Iterable[UUID],
    *,
    view: str,
    about: tuple[str, UUID] | None = None,
    related: Iterable[UUID] = (),
) -> None:
    """A list, search or match answered these records, of the kind `items`.

    `about` is the record the list belongs to (a candidate's documents): the entry's
    subject. Without one, the subject type is the kind of records listed. Every id
    answered is kept in `subject_ids`, so `?subject_id=` finds a person's list reads too.
    """
    ids = list(returned)
    subject_type, subject_id = about if about is not None else (items, None)
    await _append_one(
        stores,
        principal,
        "list",
        subject_type,
        subject_id,
        [*related, *ids],
        {"view": view, "items": items, "count": len(ids)},
    )


async def record_export(
    stores: Stores, principal: Principal, candidate_id: UUID, related: Iterable[UUID], **detail: Any
) -> AuditEntry:
    """A subject access export of a candidate; the entry, for the export to include."""
    return await _append_one(
        stores,
        principal,
        "export",
        "candidate",
        candidate_id,
        related,
        {"view": "export", **detail},
    )


async def record_login(
    conn: Connection,
    tenant_id: UUID,
    user_id: UUID,
    address: str,
    *,
    failed: str | None = None,
) -> None:
    """A login to an existing account, or (`failed`: why) an attempt refused.

    In the caller's transaction, so a login's entry commits with the refresh token it
    issues. An attempt on a username that does not exist names no agency and is left to
    the login brake; the password tried is never anywhere.
    """
    entry = draft(
        tenant_id,
        "login_failed" if failed else "login",
        actor=str(user_id),
        actor_kind="user",
        at=utcnow(),
        subject_type="user",
        subject_id=user_id,
        detail={"reason": failed} if failed else {"method": "password"},
        address=address,
    )
    await audit.append(conn, [entry])


async def record_change(
    conn: Connection,
    principal: Principal,
    action: AuditAction,
    subject_type: str,
    subject_id: UUID,
    *,
    fields: Iterable[str] = (),
) -> None:
    """A change the gateway wrote itself (configuration that is no command), in the
    caller's transaction: the change and its entry commit together. Fields by name."""
    entry = _drafted(principal, action, subject_type, subject_id, (), {"fields": sorted(fields)})
    await audit.append(conn, [entry])
