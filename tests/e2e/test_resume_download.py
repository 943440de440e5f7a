"""Resume download: the stored file back, byte for byte, from where the upload's
`Location` points; other agencies, unknown documents and erased people are 404."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from tests.e2e.conftest import Agency, System, _agency
from tests.e2e.helpers import candidate_body, post_json
from tests.resumes import docx_with_layout

pytestmark = pytest.mark.stack

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
async def admin(system: System, agency: Agency) -> AsyncIterator[Agency]:
    async with _agency(system, role="admin", slug=agency.slug) as made:
        yield made


async def test_the_uploaded_resume_downloads_as_it_was(
    agency: Agency, other_agency: Agency, admin: Agency
) -> None:
    candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
    cid = candidate["id"]
    content = docx_with_layout()
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{cid}/documents",
        files={"file": ("Ada's CV; 2026\u00e9.docx", content, DOCX_TYPE)},
    )
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    # The words of the table, the header and the footer were read (proposed skills).
    assert {"Terraform", "Go", "Rust"} <= set(document["proposed_skills"])  # Kafka is known
    location = uploaded.headers["location"]
    assert location == f"/api/v1/candidates/{cid}/documents/{document['id']}/content"

    downloaded = await agency.client.get(location)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    assert downloaded.headers["content-type"] == DOCX_TYPE
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["etag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    disposition = downloaded.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Ada_s_CV__2026_.docx"; ')
    assert "filename*=UTF-8''Ada%27s%20CV%3B%202026%C3%A9.docx" in disposition
    assert "ratelimit-remaining" in downloaded.headers  # counted like any read

    entries = (
        await admin.client.get("/api/v1/audit", params={"subject_id": document["id"]})
    ).json()
    reads = [e for e in entries["items"] if e["action"] == "read"]
    assert reads
    assert reads[0]["detail"]["view"] == "document_content"

    unknown = f"/api/v1/candidates/{cid}/documents/00000000-0000-4000-8000-000000000000/content"
    assert (await agency.client.get(unknown)).status_code == 404
    assert (await other_agency.client.get(location)).status_code == 404
    erased = await agency.client.delete(f"/api/v1/candidates/{cid}")
    assert erased.status_code == 204
    gone = await agency.client.get(location)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
