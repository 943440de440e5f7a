"""Stream slots on the real Redis: caps per user and agency, release, lapsed leases."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from stores.bundle import Stores
from stores.stream_slots import (
    agency_streams_key,
    claim_stream,
    open_streams,
    release_stream,
    user_streams_key,
)

pytestmark = pytest.mark.stack


async def test_a_full_cap_refuses_and_names_itself_until_a_slot_is_released(
    stores: Stores,
) -> None:
    alice, bob = user_streams_key(str(uuid.uuid4())), user_streams_key(str(uuid.uuid4()))
    agency = agency_streams_key(str(uuid.uuid4()))
    assert await claim_stream(stores.redis, [(alice, 2), (agency, 3)], "a1", 30) is None
    assert await claim_stream(stores.redis, [(alice, 2), (agency, 3)], "a2", 30) is None
    assert await claim_stream(stores.redis, [(alice, 2), (agency, 3)], "a3", 30) == alice
    assert await claim_stream(stores.redis, [(bob, 2), (agency, 3)], "b1", 30) is None
    assert await claim_stream(stores.redis, [(bob, 2), (agency, 3)], "b2", 30) == agency
    # Refused claims took nothing anywhere.
    assert await open_streams(stores.redis, bob) == 1
    assert await open_streams(stores.redis, agency) == 3
    await release_stream(stores.redis, [alice, agency], "a1")
    assert await claim_stream(stores.redis, [(bob, 2), (agency, 3)], "b2", 30) is None
    assert await claim_stream(stores.redis, [(bob, 0), (agency, 0)], "b3", 30) is None  # 0: none


async def test_a_lapsed_lease_frees_its_slot(stores: Stores) -> None:
    mine = user_streams_key(str(uuid.uuid4()))
    assert await claim_stream(stores.redis, [(mine, 1)], "gone", 0.2) is None
    assert await claim_stream(stores.redis, [(mine, 1)], "next", 30) == mine
    await asyncio.sleep(0.4)  # the gateway holding "gone" died: nobody renewed it
    assert await claim_stream(stores.redis, [(mine, 1)], "next", 30) is None
