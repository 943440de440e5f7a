"""The facts the retention rule judges, as Postgres gives them (stores/postgres/retention.py):
each kind of activity at its latest, per candidate, for one agency only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table

from app.jobs.retention import facts_from_row
from domain.retention import judge
from stores.bundle import Stores
from stores.postgres import retention as repo
from stores.postgres import tables

pytestmark = pytest.mark.stack

T0 = datetime(2023, 1, 1, tzinfo=UTC)
CUTOFF = datetime(2025, 1, 1, tzinfo=UTC)


def _at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def _versioned(tenant_id: uuid.UUID, at: datetime, **values: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "version": 1,
        "created_at": at,
        "updated_at": at,
        **values,
    }


async def _insert(stores: Stores, table: Table, *rows: dict[str, Any]) -> None:
    async with stores.db.transaction() as conn:
        await conn.execute(table.insert(), list(rows))


async def _candidate(
    stores: Stores, tenant_id: uuid.UUID, at: datetime, **values: Any
) -> uuid.UUID:
    row = _versioned(
        tenant_id, at, first_name="Ada", last_name="Lovelace", status="active", **values
    )
    await _insert(stores, tables.candidates, row)
    return uuid.UUID(str(row["id"]))


async def test_each_kind_of_activity_is_read_at_its_latest(stores: Stores) -> None:
    tenant = uuid.uuid4()
    client = _versioned(tenant, T0, name="Globex", status="active")
    requisition = _versioned(
        tenant,
        T0,
        client_id=client["id"],
        title="SRE",
        employment_type="contract",
        openings=2,
        priority="normal",
        status="open",
        opened_at=T0,
    )
    await _insert(stores, tables.clients, client)
    await _insert(stores, tables.requisitions, requisition)
    consent = {"given_at": "2022-01-01T00:00:00Z", "basis": "consent", "expires_at": "2023-06-01"}
    cid = await _candidate(stores, tenant, _at(1), consent=consent)
    quiet = await _candidate(stores, tenant, _at(2))
    await _candidate(stores, tenant, CUTOFF + timedelta(days=1))  # changed since: not read
    await _candidate(stores, uuid.uuid4(), _at(1))  # another agency's: not read

    def submission(at: datetime, stage: str) -> dict[str, Any]:
        return _versioned(
            tenant,
            at,
            candidate_id=cid,
            requisition_id=requisition["id"],
            stage=stage,
            history=[],
        )

    placed, rejected = submission(_at(10), "placed"), submission(_at(20), "rejected")
    # Two submissions to one requisition are not allowed: the second goes to another.
    other_requisition = {**requisition, "id": uuid.uuid4()}
    await _insert(stores, tables.requisitions, other_requisition)
    rejected["requisition_id"] = other_requisition["id"]
    await _insert(stores, tables.submissions, placed, rejected)
    interview = _versioned(
        tenant,
        _at(30),
        submission_id=placed["id"],
        scheduled_at=_at(35),
        kind="video",
        duration_minutes=60,
    )
    await _insert(stores, tables.interviews, interview)
    await _insert(
        stores,
        tables.feedback,
        _versioned(
            tenant,
            _at(40),
            interview_id=interview["id"],
            rating=4,
            recommendation="yes",
            author="user:x",
        ),
    )
    note = {"kind": "general", "body": "fine", "author": "user:x"}
    await _insert(
        stores,
        tables.notes,
        _versioned(tenant, _at(50), subject_type="candidate", subject_id=cid, **note),
        _versioned(tenant, _at(60), subject_type="submission", subject_id=rejected["id"], **note),
        # A note on someone else's record with the candidate's id shape does not count.
        _versioned(tenant, _at(500), subject_type="client", subject_id=client["id"], **note),
    )
    await _insert(
        stores,
        tables.documents,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant,
            "candidate_id": cid,
            "filename": "cv.pdf",
            "media_type": "application/pdf",
            "size": 10,
            "sha256": "0" * 64,
            "text_chars": 5,
            "created_at": _at(70),
        },
    )
    await _insert(
        stores,
        tables.placements,
        _versioned(
            tenant,
            _at(80),
            submission_id=placed["id"],
            candidate_id=cid,
            requisition_id=requisition["id"],
            client_id=client["id"],
            start_date=date(2023, 2, 1),
            end_date=date(2023, 9, 30),
            status="completed",
        ),
    )

    async with stores.db.read() as conn:
        assert await repo.count_unchanged_since(conn, tenant, CUTOFF) == 2
        rows = await repo.candidate_facts(conn, tenant, CUTOFF, after=None, limit=10)
        first = await repo.candidate_facts(conn, tenant, CUTOFF, after=None, limit=1)
        rest = await repo.candidate_facts(conn, tenant, CUTOFF, after=first[0]["id"], limit=10)
    assert {r["id"] for r in rows} == {cid, quiet}
    assert [r["id"] for r in first + rest] == sorted([cid, quiet])

    row = next(r for r in rows if r["id"] == cid)
    assert row["record_updated_at"] == _at(1)
    assert sorted(row["submission_stages"]) == ["placed", "rejected"]
    assert row["submission_at"] == _at(20)
    assert row["interview_at"] == _at(40)  # the feedback, after the interview's time
    assert row["note_at"] == _at(60)  # the note on the submission
    assert row["document_at"] == _at(70)
    assert (row["placement_statuses"], row["placement_at"]) == (["completed"], _at(80))
    assert row["placement_ended"] == date(2023, 9, 30)

    verdict = judge(facts_from_row(row), 12, CUTOFF)
    assert verdict.due
    assert (verdict.last_activity_source, verdict.consent) == ("placement", "expired")
    assert verdict.last_activity == datetime(2023, 10, 1, tzinfo=UTC)

    bare = next(r for r in rows if r["id"] == quiet)
    assert bare["submission_stages"] is None
    assert facts_from_row(bare).activity() == {"record": _at(2)}


async def test_a_stored_consent_that_no_longer_reads_holds_the_candidate(stores: Stores) -> None:
    tenant = uuid.uuid4()
    await _candidate(stores, tenant, T0, consent={"given_at": "soon", "basis": "consent"})
    async with stores.db.read() as conn:
        [row] = await repo.candidate_facts(conn, tenant, CUTOFF, after=None, limit=10)
    assert judge(facts_from_row(row), 12, CUTOFF).held_by == ["unreadable_consent"]


async def test_a_policy_is_kept_per_agency(stores: Stores) -> None:
    tenant = uuid.uuid4()
    async with stores.db.transaction() as conn:
        await conn.execute(tables.tenants.insert().values(id=tenant, slug=f"r-{tenant}", name="R"))
        assert await repo.get_policy(conn, tenant) is None
        stored = await repo.put_policy(
            conn, tenant, inactive_months=24, updated_by="system:cli", updated_at=T0
        )
        assert (stored["inactive_months"], stored["updated_by"]) == (24, "system:cli")
        await repo.put_policy(
            conn, tenant, inactive_months=None, updated_by="user:x", updated_at=T0
        )
        again = await repo.get_policy(conn, tenant)
    assert again is not None
    assert (again["inactive_months"], again["updated_by"]) == (None, "user:x")
