"""Import and export against the real stack: every kind, a Windows-1252 file, a broken
file that sends nothing, a map from another system's columns, and export → import from
one agency into another with the same records coming out."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.jobs.exports.runner import Export
from app.jobs.imports.runner import RecordImport
from app.jobs.spreadsheet_cells import restore
from stores.bundle import Stores
from tests.e2e.conftest import ROOT, Agency, System
from tests.e2e.helpers import candidate_body, move, post_json

pytestmark = pytest.mark.stack

CLI = str(Path(sys.executable).with_name("refactortrack"))
ROWS = 3011
ACCENTED_LINE = 3002  # the header is line 1: row 3,001


async def _cli(*args: str) -> tuple[int, str, bytes]:
    process = await asyncio.create_subprocess_exec(
        CLI, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    return process.returncode or 0, stderr.decode(), stdout


def _windows_1252(path: Path, header: str, row: Any) -> Path:
    """ROWS rows written as Windows-1252, the only non-ASCII character on ACCENTED_LINE."""
    lines = [header] + [row(n, "\u00e9" if n + 2 == ACCENTED_LINE else "e") for n in range(ROWS)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    return path


async def _import(system: System, agency: Agency, kind: str, path: Path) -> Any:
    summary = await RecordImport(system.settings, agency.slug, kind).run(path)
    assert (summary.rows, summary.created, summary.rejected, summary.duplicates) == (
        ROWS,
        ROWS,
        0,
        0,
    ), summary.problems[:3]
    return summary


async def test_every_kind_imports_from_a_windows_1252_file(
    system: System, agency: Agency, tmp_path: Path
) -> None:
    u = agency.slug[-6:]
    # Candidates through the command line, as a user runs it.
    people = _windows_1252(
        tmp_path / "candidates.csv",
        "first_name,last_name,email,city",
        lambda n, e: f"Ren{e},Dupont{n},p{n}.{u}@example.com,Li{e}ge",
    )
    code, stderr, _ = await _cli("import", "candidates", str(people), "--tenant", agency.slug)
    assert code == 0, stderr
    assert "windows-1252" in stderr
    clients = _windows_1252(
        tmp_path / "clients.csv", "name,industry", lambda n, e: f"Caf{e} {n},Food"
    )
    await _import(system, agency, "clients", clients)
    contacts = _windows_1252(
        tmp_path / "contacts.csv",
        "client,first_name,last_name,email",
        lambda n, e: f"Cafe 0,Zo{e},Ng{n},z{n}.{u}@example.com",
    )
    await _import(system, agency, "contacts", contacts)
    requisitions = _windows_1252(
        tmp_path / "requisitions.csv",
        "client,contact_email,title,required_skills",
        lambda n, e: f"Cafe 0,z{n}.{u}@example.com,Ing{e}nieur {n},Python;Kafka",
    )
    await _import(system, agency, "requisitions", requisitions)
    submissions = _windows_1252(
        tmp_path / "submissions.csv",
        "candidate_email,requisition_title,client,source",
        lambda n, e: f"p{n}.{u}@example.com,Ing{e}nieur {n},Cafe 0,r{e}f{e}rence",
    )
    await _import(system, agency, "submissions", submissions)

    # What was stored, read back through the export (every row, not a page of them), in
    # this process: a command line's start-up is seconds on a busy machine.
    stores = Stores(system.settings)
    await stores.start()

    async def exported(kind: str) -> list[dict[str, Any]]:
        path = tmp_path / f"out-{kind}.jsonl"
        await Export(stores, kind, agency.slug, "jsonl").run(path)
        return [orjson.loads(line) for line in _read(path).splitlines()]

    try:
        await _check_stored(exported)
    finally:
        await stores.stop()


async def _check_stored(exported: Callable[[str], Awaitable[list[dict[str, Any]]]]) -> None:
    by_name = {c["last_name"]: c for c in await exported("candidates")}
    assert len(by_name) == ROWS
    assert (by_name["Dupont3000"]["first_name"], by_name["Dupont3000"]["location"]["city"]) == (
        "Ren\u00e9",
        "Li\u00e9ge",
    )
    assert "Caf\u00e9 3000" in {c["name"] for c in await exported("clients")}
    requisitions = {r["title"]: r for r in await exported("requisitions")}
    accented = requisitions["Ing\u00e9nieur 3000"]
    assert accented["client"] == "Cafe 0"
    assert accented["required_skills"] == ["Python", "Kafka"]
    contacts = {c["id"]: c for c in await exported("contacts")}
    assert contacts[accented["contact_id"]]["first_name"] == "Zo\u00e9"
    submissions = await exported("submissions")
    assert len(submissions) == ROWS
    assert {s["source"] for s in submissions} == {"reference", "r\u00e9f\u00e9rence"}


async def test_a_file_broken_at_its_last_line_sends_nothing(
    system: System, agency: Agency, tmp_path: Path
) -> None:
    u = agency.slug[-6:]
    rows = [f"Ada,Byron{n},a{n}.{u}@example.com" for n in range(50)]
    broken = tmp_path / "broken.csv"
    broken.write_bytes(
        ("first_name,last_name,email\n" + "\n".join(rows) + "\n").encode() + b"Bad,\x81\x8d,x\n"
    )
    code, stderr, _ = await _cli("import", "candidates", str(broken), "--tenant", agency.slug)
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "line 52" in lines[0]
    assert "broken.csv" in lines[0]
    assert "--encoding" in lines[0]
    assert "Traceback" not in stderr
    listed = (await agency.client.get("/api/v1/candidates")).json()
    assert listed["items"] == []  # nothing was sent

    for bad in (tmp_path / "nope.csv", tmp_path, tmp_path / "empty.csv"):
        if bad.name == "empty.csv":
            bad.write_bytes(b"")
        code, stderr, _ = await _cli("import", "clients", str(bad), "--tenant", agency.slug)
        assert code == 2, stderr
        assert "Traceback" not in stderr
        assert len([line for line in stderr.splitlines() if line.strip()]) == 1, stderr


async def test_a_map_reads_another_systems_export(
    system: System, agency: Agency, tmp_path: Path
) -> None:
    u = agency.slug[-6:]
    bullhorn = tmp_path / "bullhorn-clients.csv"
    bullhorn.write_text(
        "clientCorporationID,Company Name,Industry,Status,Annual Revenue\n"
        f"501,Initech {u},Software,Active Account,1000000\n"
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(
        orjson.dumps(
            {
                "clientCorporationID": "id",
                "Company Name": "name",
                "Industry": "industry",
                "Status": None,
                "Annual Revenue": None,
            }
        ).decode()
    )
    code, stderr, _ = await _cli(
        "import", "clients", str(bullhorn), "--tenant", agency.slug, "--map", str(mapping)
    )
    assert code == 0, stderr
    contacts = tmp_path / "bullhorn-contacts.csv"
    # The contact names its company by Bullhorn's id: the client imported from it is found.
    contacts.write_text(
        "clientContactID,clientCorporationID,First Name,Last Name,Email,Title\n"
        f"9001,501,Peter,Gibbons,peter.{u}@initech.example,Engineer\n"
        f"9002,999,Mike,Bolton,mike.{u}@initech.example,Engineer\n"
    )
    mapping_csv = tmp_path / "contacts-map.csv"
    mapping_csv.write_text(
        "their_column,our_column\nclientContactID,id\nclientCorporationID,client_id\n"
        "First Name,first_name\nLast Name,last_name\nEmail,email\nTitle,title\n"
    )
    report = tmp_path / "report.jsonl"
    code, stderr, _ = await _cli(
        "import",
        "contacts",
        str(contacts),
        "--tenant",
        agency.slug,
        "--map",
        str(mapping_csv),
        "--report",
        str(report),
    )
    assert code == 1, stderr  # one row's client is nowhere
    [problem] = [orjson.loads(line) for line in report.read_bytes().splitlines()]
    assert problem["line"] == 3
    assert problem["code"] == "unresolved_reference"
    assert "999" in problem["message"]
    [client] = (await agency.client.get("/api/v1/clients")).json()["items"]
    assert (client["name"], client["industry"]) == (f"Initech {u}", "Software")
    [contact] = (await agency.client.get(f"/api/v1/clients/{client['id']}/contacts")).json()[
        "items"
    ]
    assert contact["last_name"] == "Gibbons"


async def _fill(agency: Agency) -> dict[str, Any]:
    """Records of every kind, with values a spreadsheet would run and accents."""
    u = agency.slug[-6:]
    acme = await post_json(
        agency,
        "/api/v1/clients",
        {
            "name": "Acme Caf\u00e9",
            "industry": '=HYPERLINK("http://evil.example","x")',
            "status": "active",
            "default_fee_percent": "0.2",
            "payment_terms": "net 30",
        },
    )
    globex = await post_json(agency, "/api/v1/clients", {"name": "Globex"})
    zoe = await post_json(
        agency,
        f"/api/v1/clients/{acme['id']}/contacts",
        {
            "first_name": "Zo\u00eb",
            "last_name": "Ng",
            "title": "-CTO",
            "email": f"zoe.{u}@acme.example",
            "phone": "+44 20 7946 0000",
            "role": "hiring_manager",
        },
    )
    await post_json(
        agency,
        f"/api/v1/clients/{globex['id']}/contacts",
        {"first_name": "Hank", "last_name": "Scorpio", "role": "hr"},
    )
    platform = await post_json(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": acme["id"],
            "contact_id": zoe["id"],
            "title": "Platform Engineer",
            "description": 'Kafka, Python;\n"quoted" and @mentions',
            "required_skills": ["Python", "Kafka"],
            "nice_to_have_skills": ["Go"],
            "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
            "employment_type": "contract",
            "openings": 2,
            "bill_rate": {"min": "80.00", "max": "100.00", "currency": "EUR"},
            "priority": "hot",
            "target_date": "2027-03-01",
        },
    )
    await post_json(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": globex["id"],
            "title": "Head of Data",
            "employment_type": "permanent",
            "salary": {"min": "120000", "max": "150000", "currency": "USD"},
            "fee_percent": "0.25",
        },
    )
    ada = await post_json(
        agency,
        "/api/v1/candidates",
        candidate_body(
            first_name="Ad\u00e8le",
            phones=["+49 30 5550123"],
            headline="@SUM(1+1)",
            desired_rate={"amount": "95", "currency": "EUR", "unit": "hour"},
            links=[{"kind": "github", "url": "https://github.example/ada"}],
            work_history=[{"employer": "Babbage & Co", "title": "Analyst"}],
            education=[{"institution": "Cambridge", "end_year": 1935}],
            consent={"given_at": "2026-01-05T09:00:00Z", "basis": "consent"},
            tags=["backend", "=1+2"],
        ),
    )
    grace = await post_json(agency, "/api/v1/candidates", candidate_body(first_name="Grace"))
    erased = await post_json(agency, "/api/v1/candidates", candidate_body(first_name="Gone"))
    deleted = await agency.client.delete(f"/api/v1/candidates/{erased['id']}")
    assert deleted.status_code == 204
    first = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": ada["id"], "requisition_id": platform["id"], "source": "referral"},
    )
    await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": grace["id"], "requisition_id": platform["id"]},
    )
    await move(agency, first["id"], "placed")
    return {"ada": ada, "erased": erased}


# The target agency gives its own ids, times and pipeline: those columns differ.
NOT_CARRIED = {
    "id",
    "created_at",
    "updated_at",
    "client_id",
    "contact_id",
    "candidate_id",
    "requisition_id",
    "stage",
    "status",
}
CARRIED_STATUS = {"candidates", "clients"}


def _rows(content: bytes, kind: str) -> list[dict[str, str]]:
    """The CSV's rows as the importer reads their cells, less what is not carried over."""
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    drop = NOT_CARRIED - ({"status"} if kind in CARRIED_STATUS else set())
    return sorted(
        ({k: restore(v) for k, v in row.items() if k not in drop} for row in rows),
        key=lambda r: sorted(r.items()),
    )


async def _export(agency: Agency, kind: str, path: Path, fmt: str = "csv") -> bytes:
    code, stderr, _ = await _cli(
        "export", kind, "--tenant", agency.slug, "--format", fmt, "--output", str(path)
    )
    assert code == 0, stderr
    return _read(path)


def _read(path: Path) -> bytes:
    return path.read_bytes()


async def test_export_then_import_into_another_agency_gives_the_same_records(
    system: System, admin: Agency, other_admin: Agency, tmp_path: Path
) -> None:
    made = await _fill(admin)
    exported: dict[str, bytes] = {}
    stores = Stores(system.settings)
    await stores.start()
    try:
        for kind in ("clients", "contacts", "requisitions", "candidates", "submissions"):
            # Out of the first agency as a user does it; into the second, and out again.
            path = tmp_path / f"a-{kind}.csv"
            exported[kind] = await _export(admin, kind, path)
            summary = await RecordImport(system.settings, other_admin.slug, kind).run(path)
            assert summary.created == summary.rows, summary.problems
            again = tmp_path / f"b-{kind}.csv"
            await Export(stores, kind, other_admin.slug, "csv").run(again)
            assert _rows(_read(again), kind) == _rows(exported[kind], kind), kind
    finally:
        await stores.stop()

    candidates = _rows(exported["candidates"], "candidates")
    assert len(candidates) == 2  # the erased one is not there
    ada = next(c for c in candidates if c["first_name"] == "Ad\u00e8le")
    assert ada["headline"] == "@SUM(1+1)"  # read back as it was
    raw = exported["candidates"].decode("utf-8-sig")
    assert "'@SUM(1+1)" in raw  # written so a spreadsheet shows it, never runs it
    assert "'+49305550123" in raw
    assert made["erased"]["id"] not in raw
    assert "'=HYPERLINK" in exported["clients"].decode("utf-8-sig")
    assert "'-CTO" in exported["contacts"].decode("utf-8-sig")

    placements = await _export(admin, "placements", tmp_path / "placements.csv")
    [placement] = list(csv.DictReader(io.StringIO(placements.decode("utf-8-sig"))))
    assert placement["client"] == "Acme Caf\u00e9"
    assert placement["candidate_email"] == made["ada"]["emails"][0]

    # JSON Lines round-trips as well, references and all.
    for kind in ("clients", "contacts"):
        lines = await _export(admin, kind, tmp_path / f"a-{kind}.jsonl", "jsonl")
        assert all(orjson.loads(line)["id"] for line in lines.splitlines())
    third = tmp_path / "a-candidates.jsonl"
    await _export(admin, "candidates", third, "jsonl")

    # Every export is in the audit log, as the operator's, with the ids it held.
    entries = (
        await admin.client.get("/api/v1/audit", params={"subject_id": made["ada"]["id"]})
    ).json()["items"]
    exports = [e for e in entries if e["action"] == "export"]
    assert len(exports) == 2  # the CSV and the JSON Lines export of candidates
    assert exports[0]["actor_kind"] == "system"
    assert exports[0]["detail"]["view"] == "bulk_export"
    assert exports[0]["detail"]["count"] == 2


async def test_export_since_and_to_standard_output(admin: Agency, tmp_path: Path) -> None:
    await post_json(admin, "/api/v1/clients", {"name": "Old"})
    code, stderr, stdout = await _cli(
        "export", "clients", "--tenant", admin.slug, "--format", "jsonl"
    )
    assert code == 0, stderr
    assert [orjson.loads(line)["name"] for line in stdout.splitlines()] == ["Old"]
    code, stderr, stdout = await _cli(
        "export",
        "clients",
        "--tenant",
        admin.slug,
        "--format",
        "jsonl",
        "--updated-since",
        "2999-01-01T00:00:00Z",
    )
    assert code == 0, stderr
    assert stdout == b""
    code, stderr, _ = await _cli(
        "export", "clients", "--tenant", admin.slug, "--updated-since", "yesterday"
    )
    assert code == 2
    assert "RFC 3339" in stderr
    assert "Traceback" not in stderr
