"""The OpenAPI document against the running system: schemathesis generates requests from
/api/openapi.json and checks every answer against it, as a user of an agency of its own.

The checks: no server error, every status and content type documented, every body and
documented header as the schema says, schema-valid requests accepted (beside the rules
tests/e2e/schemathesis.toml lists, which no schema can say), and `Allow` on a 405 naming
the documented methods. Examples per operation are bounded (`EXAMPLES`) so the run takes
a few minutes. The one operation left out is the live stream (`/analytics/stream`): its
answer never ends, so no check could read it whole (tests/e2e/test_analytics.py and
test_dashboard.py read it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LOG_DIR, ROOT, Agency, System, _agency
from tests.e2e.helpers import candidate_body, move, open_requisition, post_json

pytestmark = pytest.mark.stack

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = str(Path(sys.executable).with_name("st"))
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "positive_data_acceptance",
        "allow_header_conformance",
        "unsupported_method",
        "missing_required_header",
        "ignored_auth",
    ]
)


async def _records(agency: Agency) -> dict[str, str]:
    """One of each record, so generated requests reach them: a candidate in an open
    pipeline with an interview, another placed (for a placement), a saved search, a webhook."""
    requisition = await open_requisition(agency, 2)
    candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
    submission = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
    )
    interview = await post_json(
        agency,
        f"/api/v1/submissions/{submission['id']}/interviews",
        {"scheduled_at": "2026-03-10T14:00:00Z", "kind": "video"},
    )
    placed = await post_json(
        agency,
        "/api/v1/submissions",
        {
            "candidate_id": (await post_json(agency, "/api/v1/candidates", candidate_body()))["id"],
            "requisition_id": requisition["id"],
        },
    )
    await move(agency, placed["id"], "placed")
    placements = await agency.client.get(
        "/api/v1/placements", params={"requisition_id": requisition["id"]}
    )
    contact = await post_json(
        agency,
        f"/api/v1/clients/{requisition['client_id']}/contacts",
        {"first_name": "Grace", "last_name": "Hopper"},
    )
    saved = await post_json(
        agency, "/api/v1/saved-searches", {"name": "python", "q": "python AND kafka"}
    )
    # Nothing listens there (the discard port): its deliveries fail and are retried, and
    # no generated URL is ever a target (only 127.0.0.1 and localhost are allowed).
    webhook = await post_json(
        agency, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    )
    return {
        "RT_CANDIDATE_ID": candidate["id"],
        "RT_CLIENT_ID": requisition["client_id"],
        "RT_CONTACT_ID": contact["id"],
        "RT_REQUISITION_ID": requisition["id"],
        "RT_SUBMISSION_ID": submission["id"],
        "RT_INTERVIEW_ID": interview["id"],
        "RT_SAVED_SEARCH_ID": saved["id"],
        "RT_PLACEMENT_ID": placements.json()["items"][0]["id"],
        "RT_WEBHOOK_ID": webhook["id"],
    }


def _run(system: System, token: str, ids: dict[str, str], *extra: str) -> Any:
    env = {**os.environ, **ids, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [
            ST,
            "--config-file",
            str(CONFIG),
            "run",
            f"{system.base_url}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--exclude-path",
            "/api/v1/analytics/stream",
            # One worker: Hypothesis's caches are not safe across threads (a run with two
            # failed inside Hypothesis, never in the API).
            "--workers",
            "1",
            "--seed",
            os.environ.get("SCHEMATHESIS_SEED", "20261129"),
            "--no-color",
            # A write waits up to COMMAND_WAIT_SECONDS for its outcome, then answers 202.
            "--request-timeout",
            "30",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


async def test_the_api_answers_as_its_openapi_document_says(system: System) -> None:
    async with _agency(system, role="admin") as agency:
        ids = await _records(agency)
        token = agency.client.headers["Authorization"].removeprefix("Bearer ")
        # A process of its own: schemathesis's requests are blocking.
        result = _run(system, token, ids)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "schemathesis.txt").write_text(result.stdout + result.stderr)
    report = result.stdout[-20_000:] + result.stderr[-5_000:]
    assert result.returncode == 0, f"see {LOG_DIR / 'schemathesis.txt'}\n{report}"
