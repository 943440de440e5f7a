"""New people's ids with their keys made ahead (stores/ready_keys.py), against the real
Postgres: a taken id's key is stored and needs no insert when the create is sealed; the
pool refills itself; what is left unused goes when the process stops; a pool that cannot
be filled falls back to fresh ids."""

from __future__ import annotations

import uuid

import pytest

from stores.bundle import Stores
from stores.keyring import Keyring
from stores.postgres import tables
from stores.ready_keys import ReadyKeys
from tests.support import new_agency, statements_sent, stored_person_keys

pytestmark = pytest.mark.stack

SIZE = 8


def _ready(stores: Stores, size: int = SIZE) -> tuple[Keyring, ReadyKeys]:
    settings = stores.settings.model_copy(update={"key_pool_size": size})
    ring = Keyring(stores.db, settings)
    return ring, ReadyKeys(ring, stores.db, settings)


async def test_a_taken_id_has_its_key_stored_and_is_sealed_without_an_insert(
    stores: Stores,
) -> None:
    tenant = await new_agency(stores, "r")
    ring, ready = _ready(stores)
    first = ready.new_subject(tenant, "candidate")  # nothing ready yet: a fresh id
    assert await stored_person_keys(stores, tenant, [first]) == set()
    await ready.filled(tenant, "candidate")
    assert ready.ready(tenant, "candidate") == SIZE

    with statements_sent(stores, lambda sql: sql.startswith("INSERT INTO person_keys")) as sent:
        taken = ready.new_subject(tenant, "candidate")
        key = await ring.person(tenant, taken, create_as="candidate")
    assert sent == []  # the create's key was there already
    assert await stored_person_keys(stores, tenant, [taken]) == {taken}
    # The stored key is the one handed out: another process (no cache) opens it alike.
    other = Keyring(stores.db, stores.settings)
    assert await other.person(tenant, taken) == key
    assert ready.ready(tenant, "candidate") == SIZE - 1


async def test_the_pool_refills_when_half_is_used(stores: Stores) -> None:
    tenant = await new_agency(stores, "r")
    _, ready = _ready(stores)
    ready.new_subject(tenant, "candidate")
    await ready.filled(tenant, "candidate")
    taken = [ready.new_subject(tenant, "candidate") for _ in range(SIZE // 2 + 1)]
    await ready.filled(tenant, "candidate")
    assert ready.ready(tenant, "candidate") == SIZE
    assert len(set(taken)) == len(taken)
    assert await stored_person_keys(stores, tenant, taken) == set(taken)


async def test_release_deletes_the_unused_keys_and_keeps_the_taken(stores: Stores) -> None:
    tenant = await new_agency(stores, "r")
    _, ready = _ready(stores)
    ready.new_subject(tenant, "candidate")
    await ready.filled(tenant, "candidate")
    taken = ready.new_subject(tenant, "candidate")
    left = await _keys_of(stores, tenant)
    assert taken in left
    assert len(left) == SIZE
    await ready.release()
    assert await _keys_of(stores, tenant) == {taken}
    assert ready.ready(tenant, "candidate") == 0


async def test_an_agency_whose_pool_cannot_be_filled_gets_fresh_ids(stores: Stores) -> None:
    nowhere = uuid.uuid4()  # no such agency: its keys cannot be made
    _, ready = _ready(stores)
    ids = {ready.new_subject(nowhere, "candidate") for _ in range(3)}
    await ready.filled(nowhere, "candidate")
    assert len(ids) == 3
    assert ready.ready(nowhere, "candidate") == 0
    assert ready.new_subject(nowhere, "candidate") not in ids


async def test_size_zero_makes_nothing_ahead(stores: Stores) -> None:
    tenant = await new_agency(stores, "r")
    _, ready = _ready(stores, size=0)
    with statements_sent(stores, lambda sql: sql.startswith("INSERT INTO person_keys")) as sent:
        ready.new_subject(tenant, "candidate")
        await ready.filled(tenant, "candidate")
    assert sent == []
    assert await _keys_of(stores, tenant) == set()


async def _keys_of(stores: Stores, tenant: uuid.UUID) -> set[uuid.UUID]:
    async with stores.db.read() as conn:
        found = await conn.execute(
            tables.person_keys.select().where(tables.person_keys.c.tenant_id == tenant)
        )
        return {row.subject_id for row in found}
