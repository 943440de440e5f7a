"""Person keys against the real Postgres: made once, whoever asks first; the same key for
every process; gone for good once deleted."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from stores.bundle import Stores
from stores.keyring import Keyring
from stores.postgres import keys as repo
from tests.support import new_agency

pytestmark = pytest.mark.stack


async def test_a_person_key_is_made_once_and_shared_by_every_process(stores: Stores) -> None:
    tenant = await new_agency(stores, "k")
    people = [uuid.uuid4() for _ in range(3)]
    # Two processes (two keyrings, caches of their own) create the same people at once.
    one, two = Keyring(stores.db, stores.settings), Keyring(stores.db, stores.settings)
    create = dict.fromkeys(people, "candidate")
    first, second = await asyncio.gather(
        one.people(tenant, people, create=create), two.people(tenant, people, create=create)
    )
    assert first == second
    assert set(first) == set(people)
    assert len(set(first.values())) == 3

    # A third that only reads finds the same keys; an unknown person has none.
    stranger = uuid.uuid4()
    third = Keyring(stores.db, stores.settings)
    assert await third.people(tenant, [*people, stranger]) == first
    # Asking to create a person who has a key keeps the key they have.
    assert await third.person(tenant, people[0], create_as="candidate") == first[people[0]]

    # Erased: a process that has not cached the key cannot have it back.
    async with stores.db.transaction() as conn:
        await repo.delete_person_keys(conn, tenant, [people[0]])
    assert await Keyring(stores.db, stores.settings).person(tenant, people[0]) is None
