"""Saved searches with alerts, against the real OpenSearch percolator and the topics."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually
from tests.support import admin_options
from topics.names import SEARCH_EVENTS

pytestmark = pytest.mark.stack


async def test_a_saved_search_alerts_its_owner_once_per_new_match(
    agency: Agency, other_agency: Agency, system: System
) -> None:
    word = f"quokka{uuid.uuid4().hex[:6]}"
    saved = await agency.client.post(
        "/api/v1/saved-searches",
        json={
            "name": "Berlin Kafka people",
            "q": f"kafka {word}",
            "filters": {"city": "berlin", "skills": ["python"]},
        },
    )
    assert saved.status_code == 201, saved.text
    search = saved.json()
    assert search["owner"].startswith("user:")
    listed = (await agency.client.get("/api/v1/saved-searches")).json()["items"]
    assert [s["id"] for s in listed] == [search["id"]]

    consumer = AIOKafkaConsumer(
        SEARCH_EVENTS.name(system.settings.topic_namespace),
        **admin_options(system.settings),
        auto_offset_reset="latest",
        group_id=None,
    )
    await consumer.start()
    try:
        await consumer.seek_to_end()
        berlin = {"city": "Berlin", "country": "DE", "remote": False}
        fits = await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(headline=f"Kafka engineer {word}", location=berlin),
        )
        elsewhere = await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(
                headline=f"Kafka engineer {word}",
                location={"city": "Paris", "country": "FR", "remote": False},
            ),
        )
        theirs = await other_agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(headline=f"Kafka engineer {word}", location=berlin),
        )
        assert {fits.status_code, elsewhere.status_code, theirs.status_code} == {201}
        url = f"/api/v1/saved-searches/{search['id']}/matches"

        async def alerted() -> list[Any] | None:
            items = (await agency.client.get(url)).json()["items"]
            return items or None

        [alert] = await eventually(alerted, what="the alert in the owner's feed")
        assert alert["candidate_id"] == fits.json()["id"]

        async def event() -> dict[str, Any]:
            while True:
                message = await consumer.getone()
                if message.value and b"saved_search.matched" in message.value:
                    found: dict[str, Any] = orjson.loads(message.value)
                    return found

        matched = await asyncio.wait_for(event(), timeout=15)
        assert matched["data"]["candidate_id"] == fits.json()["id"]
        assert matched["data"]["saved_search_id"] == search["id"]
    finally:
        await consumer.stop()

    # Edited again, the candidate still matches: not news.
    patched = await agency.client.patch(
        f"/api/v1/candidates/{fits.json()['id']}", json={"tags": ["kafka"]}
    )
    assert patched.status_code == 200
    await asyncio.sleep(1.5)
    assert len((await agency.client.get(url)).json()["items"]) == 1

    # Saved searches are their owner's; a malformed query is 400.
    assert (await other_agency.client.get(url)).status_code == 404
    gone = await other_agency.client.delete(f"/api/v1/saved-searches/{search['id']}")
    assert gone.status_code == 404
    bad = await agency.client.post("/api/v1/saved-searches", json={"name": "x", "q": "(kafka"})
    assert bad.status_code == 400

    deleted = await agency.client.delete(f"/api/v1/saved-searches/{search['id']}")
    assert deleted.status_code == 204
    assert (await agency.client.get(url)).status_code == 404
    assert (await agency.client.get("/api/v1/saved-searches")).json()["items"] == []
