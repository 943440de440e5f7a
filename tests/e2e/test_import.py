"""`refactortrack import candidates` against the real stack: counts, stores, re-runs."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson
import pytest

from app.jobs.imports.runner import CandidateImport
from tests.e2e.conftest import ROOT, Agency, System
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack

CLI = str(Path(sys.executable).with_name("refactortrack"))

CSV = """first_name,last_name,email,phone,headline,city,country,remote,skills,source,tags
Ada,Byron{u},ada.{u}@example.com,+49 30 5550123,Staff Python Engineer,Berlin,DE,yes,\
Python:9:expert;k8s,referral,backend;python
Grace,Hopper{u},grace.{u}@example.com,,COBOL Lead,New York,US,no,COBOL:30,job_board,
Repeat,Row{u},ADA.{u}@Example.com,,,,,,,,
Known,Person{u},{known},,,,,,,,
Bad,Remote{u},bad.{u}@example.com,,,,,maybe,,,
,NoFirst{u},nofirst.{u}@example.com,,,,,,,,
Bad,Phone{u},phone.{u}@example.com,not-a-phone,,,,,,,
"""


async def _cli(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        CLI, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, stderr.decode()


async def test_a_csv_import_counts_each_row_and_lands_in_every_store(
    agency: Agency, system: System, tmp_path: Path
) -> None:
    known = await agency.client.post("/api/v1/candidates", json=candidate_body())
    assert known.status_code == 201
    u = agency.slug[-8:]
    path = tmp_path / "candidates.csv"
    path.write_text(CSV.format(u=u, known=known.json()["emails"][0]))

    summary = await CandidateImport(system.settings, agency.slug, batch_size=3).run(path)
    assert (summary.rows, summary.created, summary.duplicates, summary.rejected) == (7, 2, 2, 3)
    by_line = {p.line: p for p in summary.problems}
    assert by_line[4].status == "duplicate"  # an earlier row of the file
    assert by_line[5].duplicate_of == known.json()["id"]  # a candidate the agency had
    assert "remote" in by_line[6].message
    assert "first_name" in by_line[7].message
    assert by_line[8].code == "invalid"
    assert "phones[0]" in by_line[8].message
    assert "not-a-phone" not in by_line[8].message

    listed = (await agency.client.get("/api/v1/candidates", params={"limit": 50})).json()
    imported = {c["last_name"]: c for c in listed["items"]}
    ada = imported[f"Byron{u}"]
    assert ada["emails"] == [f"ada.{u}@example.com"]
    assert ada["phones"][0].startswith("+4930")
    assert [s["name"] for s in ada["skills"]] == ["Python", "k8s"]  # the profile (MongoDB)
    assert ada["skills"][0]["years"] == 9
    assert (ada["location"]["city"], ada["location"]["remote"]) == ("Berlin", True)

    async def searchable() -> bool:
        found = await agency.client.get("/api/v1/search/candidates", params={"q": f"Hopper{u}"})
        return bool(found.json()["items"])

    await eventually(searchable, what="the imported candidate in the search index")

    # The same file again: every command is a replay; nothing is created twice.
    again = await CandidateImport(system.settings, agency.slug).run(path)
    assert (again.created, again.duplicates, again.rejected) == (2, 2, 3)
    relisted = (await agency.client.get("/api/v1/candidates", params={"limit": 50})).json()
    assert len(relisted["items"]) == len(listed["items"]) == 3


async def test_the_command_line_imports_jsonl_and_writes_a_report(
    agency: Agency, system: System, tmp_path: Path
) -> None:
    path = tmp_path / "candidates.jsonl"
    rows = [candidate_body(), candidate_body(), {"first_name": "No"}, candidate_body(shoe=1)]
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    report = tmp_path / "report.jsonl"
    code, stderr = await _cli(
        "import", "candidates", str(path), "--tenant", agency.slug, "--report", str(report)
    )
    assert code == 1, stderr  # some rows were not created
    assert "created" in stderr
    problems = [orjson.loads(line) for line in report.read_bytes().splitlines()]
    assert [p["line"] for p in problems] == [3, 4]
    assert "last_name" in problems[0]["message"]
    assert "shoe" in problems[1]["message"]

    # A line that is no JSON makes the file unreadable: nothing is sent, exit 2.
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(orjson.dumps(candidate_body()) + b"\nnot json\n")
    code, stderr = await _cli("import", "candidates", str(broken), "--tenant", agency.slug)
    assert code == 2
    assert "line 2: not JSON" in stderr

    code, stderr = await _cli("import", "candidates", str(path), "--tenant", "nope")
    assert code == 2
    assert "no agency 'nope'" in stderr
