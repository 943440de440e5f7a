"""The set-wise create handler against the real Postgres and MongoDB."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from agents.candidates.handlers import create_candidates
from agents.context import Applied, HandlerContext, landing
from core.clock import utcnow
from core.errors import Conflict, Duplicate, InvalidCommand
from stores.bundle import Stores
from stores.postgres import candidates as repo
from tests.support import new_agency
from topics.envelopes import Actor, CommandEnvelope

pytestmark = pytest.mark.stack


def _create(
    tenant: uuid.UUID, candidate_id: uuid.UUID | None = None, **fields: Any
) -> CommandEnvelope:
    payload = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        **fields,
        "candidate_id": str(candidate_id or uuid.uuid4()),
    }
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=tenant,
        actor=Actor(id="test"),
        issued_at=utcnow(),
        payload=payload,
    )


async def test_one_batch_applies_valid_creates_and_rejects_each_bad_one(stores: Stores) -> None:
    tenant = await new_agency(stores, "h")
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    existing = uuid.uuid4()
    ctx = HandlerContext(settings=stores.settings, stores=stores)
    async with stores.db.transaction() as conn:
        [first] = await create_candidates(
            [_create(tenant, existing, phones=["+14155550100"])], ctx, conn
        )
    assert isinstance(first, Applied)

    batch = [
        _create(tenant, emails=[email.upper()]),  # applied
        _create(tenant, emails=[f" {email} "]),  # same email, same batch
        _create(tenant, phones=["(415) 555-0100"]),  # phone held in the store
        _create(tenant, emails=["not an email"]),  # a rule
        _create(tenant, existing),  # an id that exists
        _create(await new_agency(stores, "h"), emails=[email]),  # another agency may hold it
    ]
    async with stores.db.transaction() as conn:
        results = await create_candidates(batch, ctx, conn)

    applied, same_batch, held, invalid, clash, elsewhere = results
    assert isinstance(applied, Applied)
    assert isinstance(same_batch, Duplicate)
    assert same_batch.extra["duplicate_of"] == str(applied.resource_id)
    assert isinstance(held, Duplicate)
    assert held.extra["duplicate_of"] == str(existing)
    assert isinstance(invalid, InvalidCommand)
    assert isinstance(clash, Conflict)
    assert isinstance(elsewhere, Applied)
    async with stores.db.read() as conn:
        record = await repo.get_candidate(conn, tenant, applied.resource_id)
        assert record is not None
        # Sealed at rest, with the candidate's key.
        assert [e.startswith("rt1:") for e in record["emails"]] == [True]
        assert await repo.get_candidate(conn, tenant, batch[1].payload["candidate_id"]) is None
    profiles = await stores.mongo.get_profiles(tenant, [applied.resource_id])
    assert set(profiles) == {str(applied.resource_id)}


async def test_profiles_written_beside_the_transaction_land_before_it_commits(
    stores: Stores,
) -> None:
    """As the processor applies a set (`landing`): the profiles go to MongoDB while the
    transaction goes on, are there once it has committed, and a failure after the handler
    rolls the records back with no write left running."""
    tenant = await new_agency(stores, "h")
    ctx = HandlerContext(settings=stores.settings, stores=stores)
    batch = [_create(tenant, emails=[f"{uuid.uuid4().hex[:8]}@example.com"]) for _ in range(3)]
    async with stores.db.transaction() as conn, landing():
        results = await create_candidates(batch, ctx, conn)
    ids = [r.resource_id for r in results if isinstance(r, Applied)]
    assert len(ids) == 3
    assert set(await stores.mongo.get_profiles(tenant, ids)) == {str(i) for i in ids}

    failed = [_create(tenant, emails=[f"{uuid.uuid4().hex[:8]}@example.com"]) for _ in range(3)]

    async def fails_after_the_handler() -> None:
        async with stores.db.transaction() as conn, landing():
            await create_candidates(failed, ctx, conn)
            raise RuntimeError("the ledger, say, failed after the handler")

    with pytest.raises(RuntimeError):
        await fails_after_the_handler()
    # The profiles' write ended (landed or cancelled) with its transaction.
    writes = [t for t in asyncio.all_tasks() if "_timed_write" in repr(t.get_coro())]
    assert writes == []
    async with stores.db.read() as conn:
        for command in failed:
            assert await repo.get_candidate(conn, tenant, command.payload["candidate_id"]) is None
