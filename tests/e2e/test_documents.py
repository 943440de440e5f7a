"""Resume upload: stored, read, skills proposed; bad files answered with 4xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually
from tests.resumes import docx_with_text, pdf_with_text

pytestmark = pytest.mark.stack

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def test_resumes_in_three_formats_propose_new_skills(
    agency: Agency, other_agency: Agency
) -> None:
    candidate = (
        await agency.client.post(
            "/api/v1/candidates", json=candidate_body(skills=[{"name": "Python"}])
        )
    ).json()
    url = f"/api/v1/candidates/{candidate['id']}/documents"

    pdf = await agency.client.post(
        url, files={"file": ("cv.pdf", pdf_with_text("Python, k8s and Kafka"), "application/pdf")}
    )
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["proposed_skills"] == ["Kafka", "Kubernetes"]  # Python is known
    assert pdf.json()["media_type"] == "application/pdf"

    docx = await agency.client.post(
        url,
        files={
            "file": ("cv.docx", docx_with_text("Staff engineer", "golang, Terraform"), DOCX_TYPE)
        },
    )
    assert docx.status_code == 201, docx.text
    assert docx.json()["proposed_skills"] == ["Go", "Terraform"]

    txt = await agency.client.post(url, files={"file": ("notes.txt", b"React and TS", None)})
    assert txt.status_code == 201, txt.text
    assert txt.json()["proposed_skills"] == ["TypeScript", "React"]

    listed = (await agency.client.get(url)).json()["items"]
    assert [d["filename"] for d in listed] == ["cv.pdf", "cv.docx", "notes.txt"]
    assert all(len(d["sha256"]) == 64 for d in listed)
    assert (await other_agency.client.get(url)).status_code == 404
    assert (
        await other_agency.client.post(url, files={"file": ("x.txt", b"x", "text/plain")})
    ).status_code == 404


async def test_bad_files_are_4xx(agency: Agency) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    url = f"/api/v1/candidates/{candidate['id']}/documents"
    image = await agency.client.post(url, files={"file": ("me.png", b"\x89PNG", "image/png")})
    assert image.status_code == 415
    fake = await agency.client.post(
        url, files={"file": ("cv.pdf", b"this is no pdf", "application/pdf")}
    )
    assert fake.status_code == 422
    assert "could not be read" in fake.json()["detail"]
    huge = await agency.client.post(
        url, files={"file": ("cv.txt", b"x" * (11 * 1024 * 1024), "text/plain")}
    )
    assert huge.status_code == 413
    missing = await agency.client.post(url, data={"nothing": "here"})
    assert missing.status_code in (400, 422)
    assert (await agency.client.get(url)).json()["items"] == []


async def test_a_resumes_text_is_searchable_and_survives_profile_edits(
    agency: Agency, other_agency: Agency
) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    word = f"zephyrine{candidate['id'][:8]}"
    text = f"Built a {word} trading platform on Kafka Streams.".encode()
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{candidate['id']}/documents",
        files={"file": ("cv.txt", text, "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text

    async def found(client: Any) -> list[Any]:
        r = await client.get("/api/v1/search/candidates", params={"q": word})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    [hit] = await eventually(lambda: found(agency.client), what="the resume text indexed")
    assert hit["id"] == candidate["id"]
    assert await found(other_agency.client) == []

    # A newer snapshot of the candidate replaces the document but keeps the resume text.
    patched = await agency.client.patch(
        f"/api/v1/candidates/{candidate['id']}", json={"headline": "Principal Engineer"}
    )
    assert patched.status_code == 200

    async def updated_and_still_found() -> bool:
        hits = await found(agency.client)
        return bool(hits) and hits[0]["headline"] == "Principal Engineer"

    await eventually(updated_and_still_found, what="the edit indexed with the resume kept")
