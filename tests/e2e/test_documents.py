"""Resume upload: stored, read, skills proposed; bad files answered with 4xx; hostile
files refused by the resume reader while every other command keeps flowing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from stores.bundle import Stores
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually, tail_topic
from tests.resumes import docx_bomb, docx_with_text, pdf_with_text, slow_pdf
from tests.support import admin_options
from topics.candidates import DOCUMENT_ATTACH
from topics.envelopes import Actor, CommandEnvelope
from topics.names import DOCUMENT_COMMANDS

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


async def settled(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response | Any:
    """The final answer: the response, or once a 202's command is done, its status."""
    if response.status_code != 202:
        return response

    async def done() -> Any:
        status = (await client.get(response.json()["status_url"])).json()
        return status if status["status"] != "accepted" else None

    return await eventually(done, timeout=60, what="the upload's command settled")


def refusal_of(answer: httpx.Response | Any) -> dict[str, Any]:
    """The problem of a refused upload, from a 4xx or from a rejected command's status."""
    if isinstance(answer, httpx.Response):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        body: dict[str, Any] = answer.json()
        return {"message": body["detail"], **body}
    assert answer["status"] == "rejected", answer
    error: dict[str, Any] = answer["error"]
    assert error["status"] == 422
    return error


async def test_hostile_files_are_refused_while_other_agencies_creates_flow(
    agency: Agency, other_agency: Agency
) -> None:
    """A DOCX bomb and a PDF that would keep a parser busy for minutes, uploaded together;
    ten creates by another agency sent meanwhile, one after another, are each applied at
    once (201, not 202) while the PDF is still being read. Then a normal resume attaches.
    """
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    url = f"/api/v1/candidates/{candidate['id']}/documents"
    bomb = docx_bomb()
    assert len(bomb) < 400_000  # some 200 KB that inflate to 60 MB of XML
    bomb_upload = asyncio.create_task(
        agency.client.post(url, files={"file": ("cv.docx", bomb, DOCX_TYPE)})
    )
    slow_upload = asyncio.create_task(
        agency.client.post(url, files={"file": ("cv.pdf", slow_pdf(), "application/pdf")})
    )
    await asyncio.sleep(0.5)  # both are in the worker's hands

    creates = []
    for _ in range(10):
        started = time.monotonic()
        created = await other_agency.client.post("/api/v1/candidates", json=candidate_body())
        creates.append((created.status_code, time.monotonic() - started))
    assert [status for status, _ in creates] == [201] * 10, creates
    assert max(took for _, took in creates) < 3, creates
    # All ten were applied while the PDF was still being read (it takes its whole CPU
    # limit, RESUME_PARSE_CPU_SECONDS=5, to be refused).
    assert not slow_upload.done()

    bombed = refusal_of(await settled(agency.client, await bomb_upload))
    assert bombed["limit"] == "compression_ratio"
    assert "word/document.xml in the DOCX is compressed" in bombed["message"]
    slowed = refusal_of(await settled(agency.client, await slow_upload))
    # The CPU limit ends it; on a machine too busy to give it 5 s of CPU within the
    # 10 s wall-clock limit, the wall clock does.
    assert slowed["limit"] in ("cpu_seconds", "wall_seconds"), slowed
    assert "it was stopped" in slowed["message"]

    # The next resume reads as ever: text, and the skills the profile lacks.
    normal = await agency.client.post(
        url, files={"file": ("cv.docx", docx_with_text("Staff engineer", "k8s, Rust"), DOCX_TYPE)}
    )
    assert normal.status_code == 201, normal.text
    assert normal.json()["proposed_skills"] == ["Rust", "Kubernetes"]
    assert normal.json()["text_chars"] == len("Staff engineer\nk8s, Rust")
    listed = (await agency.client.get(url)).json()["items"]
    assert [d["filename"] for d in listed] == ["cv.docx"]


async def test_content_that_is_not_what_it_claims_is_refused_before_publishing(
    agency: Agency, system: System
) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    url = f"/api/v1/candidates/{candidate['id']}/documents"
    topic = DOCUMENT_COMMANDS.name(system.settings.topic_namespace)
    published = await tail_topic(system.settings, topic)
    random_pdf = await agency.client.post(
        url, files={"file": ("cv.pdf", os.urandom(2048) + b"\x00", "application/pdf")}
    )
    assert random_pdf.status_code == 415, random_pdf.text
    assert random_pdf.headers["content-type"].startswith("application/problem+json")
    assert "not a PDF, DOCX or TXT file" in random_pdf.json()["detail"]
    whole = docx_with_text("Senior engineer")
    truncated = await agency.client.post(
        url, files={"file": ("cv.docx", whole[: len(whole) // 2], DOCX_TYPE)}
    )
    assert truncated.status_code == 422
    assert "truncated or damaged zip" in truncated.json()["detail"]
    a_pdf_as_text = await agency.client.post(
        url, files={"file": ("cv.txt", pdf_with_text("Python"), "text/plain")}
    )
    assert a_pdf_as_text.status_code == 422
    assert "its content is a PDF" in a_pdf_as_text.json()["detail"]
    assert (await agency.client.get(url)).json()["items"] == []

    # A good file after them is the first command for this candidate on the reader's
    # topic (one key, one partition, in order): the refused ones were never published.
    good = await agency.client.post(url, files={"file": ("cv.txt", b"Go and Rust", "text/plain")})
    assert good.status_code == 201, good.text
    key = candidate["id"].encode()
    try:
        mine: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while not mine and time.monotonic() < deadline:
            batch = await published.getmany(timeout_ms=500)
            mine += [
                json.loads(m.value)
                for records in batch.values()
                for m in records
                if m.key == key and m.value
            ]
    finally:
        await published.stop()
    assert [c["payload"]["document_id"] for c in mine] == [good.json()["id"]]
    # The file's name is the person's business: it travels sealed with their key.
    assert mine[0]["payload"]["filename"].startswith("rt1:")
    assert mine[0]["subject_id"] == candidate["id"]


async def test_an_integrations_attach_meets_the_same_checks(agency: Agency, system: System) -> None:
    """A `document.attach` published straight to the topic, naming a stored file that is
    not what it claims, is refused by the reader; a message that is no command goes to the
    reader's dead letters and the reader carries on."""
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    document_id = uuid.uuid4()
    content = b"plain words, not a PDF"
    stores = Stores(system.settings)
    await stores.start()
    try:
        await stores.files.put(agency.tenant_id, uuid.UUID(candidate["id"]), document_id, content)
    finally:
        await stores.stop()
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(),
        type=DOCUMENT_ATTACH,
        tenant_id=agency.tenant_id,
        actor=Actor(id="integration:job-board", kind="api_key"),
        payload={
            "document_id": str(document_id),
            "candidate_id": candidate["id"],
            "filename": "cv.pdf",
            "media_type": "application/pdf",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    ns = system.settings.topic_namespace
    dead_letters = await tail_topic(system.settings, DOCUMENT_COMMANDS.dlq(ns))
    producer = AIOKafkaProducer(**admin_options(system.settings))
    await producer.start()
    try:
        key = candidate["id"].encode()
        await producer.send_and_wait(DOCUMENT_COMMANDS.name(ns), b"{not a command", key=key)
        await producer.send_and_wait(
            DOCUMENT_COMMANDS.name(ns), envelope.model_dump_json().encode(), key=key
        )
    finally:
        await producer.stop()

    async def outcome() -> Any:
        r = await agency.client.get(f"/api/v1/commands/{envelope.command_id}")
        return r.json() if r.status_code == 200 and r.json()["status"] != "accepted" else None

    done = await eventually(outcome, timeout=30, what="the integration's attach settled")
    assert done["status"] == "rejected"
    assert "could not be read as a PDF: its content is plain text" in done["error"]["message"]
    try:
        dead: list[Any] = []
        deadline = time.monotonic() + 15
        while not dead and time.monotonic() < deadline:
            batch = await dead_letters.getmany(timeout_ms=500)
            dead += [m for records in batch.values() for m in records if m.key == key]
    finally:
        await dead_letters.stop()
    [poison] = dead
    assert poison.value == b"{not a command"
    assert dict(poison.headers)["reason"].startswith(b"unparseable command envelope")
