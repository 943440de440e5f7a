from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body

pytestmark = pytest.mark.stack


async def test_health_ready_metrics_and_docs(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = (await client.get("/ready")).json()
        assert ready["status"] == "ready"
        assert set(ready["checks"]) == {"postgres", "mongodb", "opensearch", "redis", "kafka"}
        assert set(ready["checks"].values()) == {"up"}  # and nothing of why, if not
        assert "rt_http_requests_total" in (await client.get("/metrics")).text
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        spec = (await client.get("/api/openapi.json")).json()
        assert "/api/v1/candidates" in spec["paths"]
        catalogue = (await client.get("/api/asyncapi.json")).json()
        assert catalogue["asyncapi"] == "3.0.0"
        assert any(
            c["address"].endswith(".candidates.commands") for c in catalogue["channels"].values()
        )
        post = spec["paths"]["/api/v1/candidates"]["post"]
        assert post["description"]
        assert {"201", "202", "409", "422"} <= set(post["responses"])


async def test_a_worker_answers_probes_and_counts_what_it_does(
    system: System, agency: Agency
) -> None:
    created = await agency.client.post("/api/v1/candidates", json=candidate_body())
    assert created.status_code == 201, created.text
    async with httpx.AsyncClient(base_url=system.worker_health_url, timeout=10) as worker:
        assert (await worker.get("/live")).json() == {"status": "up"}
        ready = await worker.get("/ready")
        assert ready.status_code == 200, ready.text
        text = (await worker.get("/metrics")).text
    applied = re.search(
        r'^rt_worker_commands_total\{status="applied",type="candidate.create"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    assert applied, text[:2000]
    assert float(applied.group(1)) >= 1
    # The lag of the command topic's partitions it holds: caught up, or nearly.
    lags = re.findall(
        r'^rt_worker_consumer_lag\{group="[^"]+",partition="\d+",topic="[^"]*candidates'
        r'\.commands"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    assert lags, text[:2000]
    assert "rt_worker_handler_seconds_bucket" in text
    # What /ready said, for the alert on a worker that stays unready.
    assert re.search(r"^rt_worker_ready 1\.0$", text, re.MULTILINE), text[:2000]
    # The gateway counts how the wait for the outcome ended: this one settled (a 201).
    async with httpx.AsyncClient(base_url=system.base_url) as gateway:
        counted = (await gateway.get("/metrics")).text
    settled = re.search(
        r'^rt_command_waits_total\{result="settled",type="candidate.create"\} (\S+)$',
        counted,
        re.MULTILINE,
    )
    assert settled, counted[:2000]
    assert float(settled.group(1)) >= 1
