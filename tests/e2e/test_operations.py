from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import System

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
