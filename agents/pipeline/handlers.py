"""Pipeline command handlers: submissions, their stage moves, and placements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from agents.candidates.handlers import mark_candidate
from agents.context import (
    Applied,
    BatchHandler,
    HandlerContext,
    Result,
    effective_time,
    new_event,
)
from agents.handling import each_command, insert_created, parse_payload
from agents.patching import apply_patch
from core.clock import utcnow
from core.errors import Conflict, Duplicate, NotFound
from domain.backdating import check_in_order
from domain.pipeline import (
    CLOSED,
    PLACEMENT_ENDED,
    Move,
    next_stage,
    placement_change,
    placement_economics,
)
from domain.versions import check_version
from stores.postgres.candidates import CANDIDATES
from stores.postgres.database import Connection
from stores.postgres.pipeline import (
    FEEDBACK,
    INTERVIEWS,
    PLACEMENTS,
    SUBMISSIONS,
    count_active_placements,
    count_other_active_placements,
    submission_of,
)
from stores.postgres.requisitions import REQUISITIONS
from topics.envelopes import CommandEnvelope, EventEnvelope
from topics.pipeline import (
    FEEDBACK_SUBMIT,
    FEEDBACK_SUBMITTED,
    INTERVIEW_SCHEDULE,
    INTERVIEW_SCHEDULED,
    PLACEMENT_CREATED,
    PLACEMENT_UPDATE,
    PLACEMENT_UPDATED,
    SUBMISSION_CREATE,
    SUBMISSION_CREATED,
    SUBMISSION_STAGE_CHANGED,
    SUBMISSION_TRANSITION,
    FeedbackSnapshot,
    FeedbackSubmit,
    HistoryEntry,
    InterviewSchedule,
    InterviewSnapshot,
    PlacementSnapshot,
    PlacementUpdate,
    SubmissionCreate,
    SubmissionSnapshot,
    SubmissionTransition,
)
from topics.requisitions import REQUISITION_STATUS_CHANGED, RequisitionSnapshot


async def create_submissions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(SubmissionCreate, command)
        tenant = command.tenant_id
        if await CANDIDATES.get(conn, tenant, payload.candidate_id) is None:
            raise NotFound(f"no candidate {payload.candidate_id}")
        requisition = await REQUISITIONS.get(conn, tenant, payload.requisition_id)
        if requisition is None:
            raise NotFound(f"no requisition {payload.requisition_id}")
        if requisition["status"] != "open":
            raise Conflict(
                f"requisition {payload.requisition_id} is {requisition['status']}; "
                "candidates are submitted to open requisitions"
            )
        existing = await submission_of(conn, tenant, payload.candidate_id, payload.requisition_id)
        if existing is not None:
            raise Duplicate(
                "this candidate is already in this requisition's pipeline",
                duplicate_of=str(existing),
            )
        now = effective_time(command)
        first = HistoryEntry(from_stage=None, to="sourced", at=now, actor=command.actor.label)
        snapshot = SubmissionSnapshot(
            id=payload.submission_id,
            tenant_id=tenant,
            candidate_id=payload.candidate_id,
            requisition_id=payload.requisition_id,
            source=payload.source,
            stage="sourced",
            history=[first],
            version=1,
            created_at=now,
            updated_at=now,
        )
        return await insert_created(conn, SUBMISSIONS, command, SUBMISSION_CREATED, snapshot)

    return await each_command(commands, conn, apply)


async def transition_submissions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(SubmissionTransition, command)
        tenant = command.tenant_id
        row = await SUBMISSIONS.get(conn, tenant, payload.submission_id, lock=True)
        if row is None:
            raise NotFound(f"no submission {payload.submission_id}")
        current = SubmissionSnapshot.model_validate(row)
        check_version("submission", current.id, current.version, command.expected_version)
        moves = [Move(str(h.from_stage), h.to) for h in current.history if h.from_stage]
        stage = next_stage(current.stage, payload.to, moves)
        now = effective_time(command)
        if command.occurred_at is not None and current.history:
            check_in_order(now, current.history[-1].at)
        entry = HistoryEntry(
            from_stage=current.stage,
            to=stage,
            at=now,
            actor=command.actor.label,
            reason=payload.reason,
        )
        snapshot = current.model_copy(
            update={
                "stage": stage,
                "history": [*current.history, entry],
                "version": current.version + 1,
                "updated_at": now,
            }
        )
        await SUBMISSIONS.update(conn, SUBMISSIONS.row(snapshot))
        data = snapshot.model_dump(mode="json")
        events = [
            new_event(
                command,
                type=SUBMISSION_STAGE_CHANGED,
                aggregate_id=snapshot.id,
                version=snapshot.version,
                data=data,
            )
        ]
        if stage == "placed":
            events.extend(await _place(conn, ctx, command, payload, snapshot))
        elif current.stage == "placed":
            events.extend(await _end_placement(conn, ctx, command, snapshot.id))
        return Applied(snapshot.id, events, resource=data)

    return await each_command(commands, conn, apply)


async def _place(
    conn: Connection,
    ctx: HandlerContext,
    command: CommandEnvelope,
    move: SubmissionTransition,
    submission: SubmissionSnapshot,
) -> list[EventEnvelope]:
    """The placement, the requisition filled once placements reach openings, the candidate."""
    tenant = command.tenant_id
    requisition = await REQUISITIONS.get(conn, tenant, submission.requisition_id, lock=True)
    if requisition is None:  # the submission's foreign key makes this unreachable
        raise NotFound(f"no requisition {submission.requisition_id}")
    economics = placement_economics(
        bill_rate=move.bill_rate,
        pay_rate=move.pay_rate,
        currency=move.currency,
        salary=move.salary,
        fee_percent=move.fee_percent,
    )
    now = effective_time(command)
    placement_id = uuid.uuid5(submission.id, "placement")
    # A reopened-then-placed-again submission: its placement starts again, a version up.
    earlier = await PLACEMENTS.get(conn, tenant, placement_id, lock=True)
    placement = PlacementSnapshot(
        id=placement_id,
        tenant_id=tenant,
        submission_id=submission.id,
        candidate_id=submission.candidate_id,
        requisition_id=submission.requisition_id,
        client_id=requisition["client_id"],
        start_date=move.start_date,
        end_date=move.end_date,
        status="active",
        version=earlier["version"] + 1 if earlier else 1,
        created_at=earlier["created_at"] if earlier else now,
        updated_at=now,
        **economics,
    )
    if earlier:
        await PLACEMENTS.update(conn, PLACEMENTS.row(placement))
    else:
        await PLACEMENTS.insert_new(conn, [PLACEMENTS.row(placement)])
    events = [
        new_event(
            command,
            type=PLACEMENT_CREATED,
            aggregate_id=placement.id,
            version=placement.version,
            data=placement.model_dump(mode="json"),
        )
    ]
    active = await count_active_placements(conn, tenant, submission.requisition_id)
    if active >= requisition["openings"] and requisition["status"] != "filled":
        filled = RequisitionSnapshot.model_validate(
            {
                **requisition,
                "status": "filled",
                "status_reason": "placements reached openings",
                "filled_at": now,
                "version": requisition["version"] + 1,
                "updated_at": now,
            }
        )
        await REQUISITIONS.update(
            conn,
            {
                "id": filled.id,
                "tenant_id": tenant,
                "status": filled.status,
                "status_reason": filled.status_reason,
                "filled_at": filled.filled_at,
                "version": filled.version,
                "updated_at": filled.updated_at,
            },
        )
        events.append(
            new_event(
                command,
                type=REQUISITION_STATUS_CHANGED,
                aggregate_id=filled.id,
                version=filled.version,
                data=filled.model_dump(mode="json"),
            )
        )
    candidate_event = await mark_candidate(conn, ctx, command, submission.candidate_id, "placed")
    if candidate_event is not None:
        events.append(candidate_event)
    return events


async def _end_placement(
    conn: Connection, ctx: HandlerContext, command: CommandEnvelope, submission_id: UUID
) -> list[EventEnvelope]:
    """A placed submission reopened: its placement is terminated, its candidate freed."""
    placement_id = uuid.uuid5(submission_id, "placement")
    row = await PLACEMENTS.get(conn, command.tenant_id, placement_id, lock=True)
    if row is None or row["status"] != "active":
        return []
    now = utcnow()
    ended = PlacementSnapshot.model_validate(
        {
            **row,
            "status": "terminated",
            "end_date": row["end_date"] or max(now.date(), row["start_date"]),
            "end_reason": "submission reopened",
            "version": row["version"] + 1,
            "updated_at": now,
        }
    )
    await PLACEMENTS.update(conn, PLACEMENTS.row(ended))
    return [
        new_event(
            command,
            type=PLACEMENT_UPDATED,
            aggregate_id=ended.id,
            version=ended.version,
            data=ended.model_dump(mode="json"),
        ),
        *await _free_candidate(conn, ctx, command, row),
    ]


async def update_placements(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(PlacementUpdate, command)
        changes = payload.changes.changes()
        before: dict[str, Any] = {}

        async def rules(current: dict[str, Any]) -> None:
            if current["submission_id"] != payload.submission_id:
                raise NotFound(f"no placement {payload.placement_id}")
            before.update(current)
            changes.update(
                placement_change(
                    status=current["status"],
                    start_date=current["start_date"],
                    end_date=current["end_date"],
                    changes=changes,
                    today=utcnow().date(),
                )
            )

        applied = await apply_patch(
            conn,
            command,
            rows=PLACEMENTS,
            snapshot_type=PlacementSnapshot,
            aggregate_id=payload.placement_id,
            changes=changes,
            event_type=PLACEMENT_UPDATED,
            check=rules,
        )
        if before["status"] == "active" and changes.get("status") in PLACEMENT_ENDED:
            applied.events.extend(await _free_candidate(conn, ctx, command, before))
        return applied

    return await each_command(commands, conn, apply)


async def _free_candidate(
    conn: Connection, ctx: HandlerContext, command: CommandEnvelope, ended: dict[str, Any]
) -> list[EventEnvelope]:
    """A placed candidate with no other active placement is available again."""
    others = await count_other_active_placements(
        conn, command.tenant_id, ended["candidate_id"], ended["id"]
    )
    if others:
        return []
    event = await mark_candidate(
        conn, ctx, command, ended["candidate_id"], "active", only_from="placed"
    )
    return [event] if event is not None else []


async def schedule_interviews(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(InterviewSchedule, command)
        submission = await SUBMISSIONS.get(conn, command.tenant_id, payload.submission_id)
        if submission is None:
            raise NotFound(f"no submission {payload.submission_id}")
        if submission["stage"] in CLOSED:
            raise Conflict(
                f"submission {payload.submission_id} is {submission['stage']}; reopen it to "
                "schedule an interview"
            )
        now = utcnow()
        interview = InterviewSnapshot(
            **payload.model_dump(exclude={"interview_id"}),
            id=payload.interview_id,
            tenant_id=command.tenant_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        return await insert_created(conn, INTERVIEWS, command, INTERVIEW_SCHEDULED, interview)

    return await each_command(commands, conn, apply)


async def submit_feedback(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(FeedbackSubmit, command)
        interview = await INTERVIEWS.get(conn, command.tenant_id, payload.interview_id)
        if interview is None or interview["submission_id"] != payload.submission_id:
            raise NotFound(f"no interview {payload.interview_id}")
        now = utcnow()
        scorecard = FeedbackSnapshot(
            **payload.model_dump(exclude={"feedback_id", "submission_id"}),
            id=payload.feedback_id,
            tenant_id=command.tenant_id,
            author=command.actor.label,
            version=1,
            created_at=now,
            updated_at=now,
        )
        return await insert_created(conn, FEEDBACK, command, FEEDBACK_SUBMITTED, scorecard)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    SUBMISSION_CREATE: create_submissions,
    SUBMISSION_TRANSITION: transition_submissions,
    PLACEMENT_UPDATE: update_placements,
    INTERVIEW_SCHEDULE: schedule_interviews,
    FEEDBACK_SUBMIT: submit_feedback,
}
