from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from app.jobs.flat_records import KINDS, candidate_cells, candidate_payload
from app.jobs.imports.files import ImportFileError, read_file
from app.jobs.imports.mapping import read_mapping
from app.jobs.imports.runner import CandidateImport, command_id_for
from app.jobs.spreadsheet_cells import neutralise, restore

CANDIDATES = KINDS["candidates"]


def test_a_csv_row_takes_the_shape_of_a_candidate() -> None:
    candidate = candidate_payload(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "emails": "a@b.io; c@d.io",
            "phone": "+49 30 1234567",
            "skills": "Python:9:Expert; k8s; SQL::beginner",
            "tags": "backend;;python",
            "city": "Berlin",
            "remote": "Yes",
            "desired_rate": "95",
            "desired_rate_currency": "EUR",
            "links": "linkedin=https://l.example/ada; https://x.example/?a=b",
        }
    )
    assert candidate["emails"] == ["a@b.io", "c@d.io", "ada@example.com"]
    assert candidate["phones"] == ["+49 30 1234567"]
    assert candidate["skills"] == [
        {"name": "Python", "years": "9", "level": "expert"},
        {"name": "k8s"},
        {"name": "SQL", "level": "beginner"},
    ]
    assert candidate["tags"] == ["backend", "python"]
    assert candidate["location"] == {"city": "Berlin", "remote": True}
    assert candidate["desired_rate"] == {"amount": "95", "currency": "EUR", "unit": "hour"}
    assert candidate["links"] == [
        {"kind": "linkedin", "url": "https://l.example/ada"},
        {"url": "https://x.example/?a=b"},
    ]
    assert "headline" not in candidate  # a blank cell is an absent field


def test_a_candidate_flattened_reads_back_the_same() -> None:
    record = {
        "id": str(uuid.uuid4()),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "emails": ["ada@example.com", "a@b.io"],
        "phones": ["+4930123456"],
        "location": {"city": "Berlin", "country": "DE", "remote": False},
        "skills": [{"name": "Python", "years": 9.0, "level": "expert"}, {"name": "Go"}],
        "links": [{"kind": "github", "url": "https://g.example/ada"}],
        "work_history": [{"employer": "Babbage & Co", "title": "Analyst"}],
        "desired_salary": {"amount": "90000.00", "currency": "EUR"},
        "consent": {"given_at": "2026-01-05T09:00:00Z", "basis": "consent"},
        "tags": ["a", "b"],
        "status": "active",
    }
    cells = {k: restore(neutralise(v)) for k, v in candidate_cells(record).items() if v}
    back = candidate_payload(cells)
    assert back["emails"] == record["emails"]
    assert back["phones"] == record["phones"]  # '+49…' neutralised, then restored
    assert back["location"] == {"city": "Berlin", "country": "DE", "remote": False}
    assert back["skills"] == [{"name": "Python", "years": "9", "level": "expert"}, {"name": "Go"}]
    assert back["links"] == record["links"]
    assert back["work_history"] == record["work_history"]
    assert back["desired_salary"] == {"amount": "90000.00", "currency": "EUR"}
    assert back["consent"] == {"given_at": "2026-01-05T09:00:00Z", "basis": "consent"}


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+49 30 123", "'+49 30 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ada", "Ada"),
        ("", ""),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
    ],
)
def test_formula_cells_are_neutralised_and_restored(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(neutralise(cell)) == cell


def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_windows_1252_is_read_and_a_bom_wins(tmp_path: Path) -> None:
    rows = "first_name,last_name\n" + "A,B\n" * 3000 + "Ren\u00e9,Caf\u00e9\n"
    parsed = read_file(_file(tmp_path, "w.csv", rows.encode("cp1252")), CANDIDATES)
    assert parsed.encoding == "windows-1252"
    assert parsed.rows[-1].payload == {
        **(parsed.rows[-1].payload or {}),
        "first_name": "Ren\u00e9",
        "last_name": "Caf\u00e9",
    }
    assert parsed.rows[-1].line == 3002
    bom = read_file(_file(tmp_path, "b.csv", rows.encode("utf-8-sig")), CANDIDATES)
    assert bom.encoding == "utf-8-sig"
    assert bom.rows[-1].payload
    assert bom.rows[-1].payload["first_name"] == "Ren\u00e9"
    latin = read_file(
        _file(tmp_path, "l.csv", rows.encode("latin-1")), CANDIDATES, encoding="latin-1"
    )
    assert latin.encoding == "latin-1"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\n\n  \n", "is empty"),
        ("header.csv", b"first_name,last_name\n", "no rows"),
        ("junk.csv", b"first_name,last_name\nA,B\n\x00\x01\x02PK\x03\x04", "line 3: control"),
        ("undecodable.csv", b"first_name,last_name\nA,B\nA,\x81\x8d\n", "line 3: byte 0x81"),
        ("quotes.csv", b'first_name,last_name\nA,B\nA,"B"x"\n', "line 3"),
        ("cells.csv", b"first_name,last_name\nA,B\nA,B,C\n", "line 3: 3 cells"),
        ("missing.csv", b"first_name,email\nA,a@b.io\n", "lacks required column(s) last_name"),
        ("unknown.csv", b"first_name,last_name,shoe_size\nA,B,44\n", "shoe_size"),
        ("nothing.csv", b"Vorname|Nachname\nA|B\n", "names none of the candidates columns"),
        ("people.xlsx", b"PK\x03\x04", "takes .csv or .jsonl"),
        ("lines.jsonl", b'{"first_name": "A"}\nnot json\n', "line 2: not JSON"),
        ("array.jsonl", b"[1, 2]\n", "line 1: each line must be one JSON object"),
    ],
)
def test_a_bad_file_is_one_line_saying_where_and_why(
    tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    with pytest.raises(ImportFileError) as refused:
        read_file(_file(tmp_path, name, content), CANDIDATES)
    message = str(refused.value)
    assert says in message
    assert "\n" not in message
    assert message.startswith(str(tmp_path / name))


def test_a_missing_file_or_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_file(tmp_path / "nope.csv", CANDIDATES)
    with pytest.raises(ImportFileError, match="is a directory"):
        read_file(tmp_path, CANDIDATES)


def test_semicolons_and_tabs_are_found_as_separators(tmp_path: Path) -> None:
    for sep in (";", "\t"):
        path = _file(
            tmp_path, "s.csv", f"first_name{sep}last_name{sep}tags\nA{sep}B{sep}x\n".encode()
        )
        [row] = read_file(path, CANDIDATES).rows
        assert row.payload is not None
        assert (row.payload["first_name"], row.payload["tags"]) == ("A", ["x"])


def test_a_map_renames_their_columns_and_skips_some(tmp_path: Path) -> None:
    bullhorn = _file(
        tmp_path,
        "bullhorn.csv",
        b"Candidate ID,First Name,Last Name,Email,Mobile,Skill List,Internal Rating\n"
        b"1001,Ada,Lovelace,ada@example.com,+4930123456,Python;Go,5\n",
    )
    as_json = _file(
        tmp_path,
        "map.json",
        json.dumps(
            {
                "Candidate ID": "id",
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "emails",
                "Mobile": "phones",
                "Skill List": "skills",
                "Internal Rating": None,
            }
        ).encode(),
    )
    as_csv = _file(
        tmp_path,
        "map.csv",
        b"their_column,our_column\nCandidate ID,id\nfirst name,first_name\nLast Name,last_name\n"
        b"Email,emails\nMobile,phones\nSkill List,skills\nInternal Rating,\n",
    )
    for mapping in (read_mapping(as_json), read_mapping(as_csv)):
        [row] = read_file(bullhorn, CANDIDATES, mapping=mapping).rows
        assert row.cells["id"] == "1001"
        assert row.payload is not None
        assert row.payload["emails"] == ["ada@example.com"]
        assert row.payload["skills"] == [{"name": "Python"}, {"name": "Go"}]
    with pytest.raises(ImportFileError, match=r"(?i)internal rating"):
        read_file(bullhorn, CANDIDATES, mapping={"First Name": "first_name"})


def test_references_may_be_ids_or_natural_keys(tmp_path: Path) -> None:
    contacts = KINDS["contacts"]
    by_name = _file(tmp_path, "c.csv", b"first_name,last_name,client\nA,B,Acme\n")
    assert read_file(by_name, contacts).rows[0].cells["client"] == "Acme"
    neither = _file(tmp_path, "n.csv", b"first_name,last_name\nA,B\n")
    with pytest.raises(ImportFileError, match=r"client_id \(or client\)"):
        read_file(neither, contacts)


def test_remote_must_be_yes_or_no_and_stays_the_rows_problem(tmp_path: Path) -> None:
    path = _file(tmp_path, "r.csv", b"first_name,last_name,remote\nA,B,sometimes\nC,D,no\n")
    rows = read_file(path, CANDIDATES).rows
    assert rows[0].payload is None
    assert "remote" in (rows[0].error or "")
    assert rows[1].payload is not None


def test_the_same_file_makes_the_same_commands() -> None:
    tenant = uuid.uuid4()
    assert command_id_for(tenant, "d", 2) == command_id_for(tenant, "d", 2)
    assert command_id_for(tenant, "d", 2) != command_id_for(tenant, "d", 3)
    assert command_id_for(uuid.uuid4(), "d", 2) != command_id_for(tenant, "d", 2)


def test_repeats_in_a_file_are_keyed_like_the_agent_keys_them() -> None:
    keys = CandidateImport._points(
        {"emails": [" Ada@Example.COM "], "phones": ["+49 (30) 123-4567"], "tags": "x"}
    )
    assert keys == [("email", "ada@example.com"), ("phone", "+49301234567")]
    assert CandidateImport._points({"emails": "not-a-list"}) == []


def test_willing_to_relocate_is_a_yes_or_no_column() -> None:
    row = {"first_name": "A", "last_name": "B", "willing_to_relocate": "yes"}
    assert candidate_payload(row)["willing_to_relocate"] is True
    assert "willing_to_relocate" not in candidate_payload({"first_name": "A", "last_name": "B"})
    with pytest.raises(ValueError, match="willing_to_relocate"):
        candidate_payload({**row, "willing_to_relocate": "maybe"})
    assert candidate_cells({"willing_to_relocate": False})["willing_to_relocate"] == "no"


def test_a_row_keeps_its_payload_and_only_the_cells_read_later(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,first_name,last_name,email\n1001,Ada,Lovelace,ada@example.com\n")
    row = read_file(path, KINDS["candidates"]).rows[0]
    assert row.cells == {"id": "1001"}  # the rest is in the payload
    payload = row.payload
    assert payload is not None
    assert payload["first_name"] == "Ada"
    payload["first_name"] = "changed"
    assert row.payload == {**payload, "first_name": "Ada"}  # each read is a fresh dict
