from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.jobs.imports.files import ImportFileError, candidate_from_csv, file_facts, read_rows
from app.jobs.imports.runner import CandidateImport, command_id_for


def test_a_csv_row_takes_the_shape_of_a_candidate() -> None:
    candidate = candidate_from_csv(
        {
            "first_name": " Ada ",
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
            "headline": "",
        }
    )
    assert candidate["first_name"] == "Ada"
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
    assert "headline" not in candidate  # a blank cell is an absent field


def test_remote_must_be_yes_or_no() -> None:
    with pytest.raises(ValueError, match="remote"):
        candidate_from_csv({"first_name": "A", "last_name": "B", "remote": "sometimes"})


def test_unknown_columns_and_missing_names_refuse_the_file(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("first_name,last_name,shoe_size\nA,B,44\n")
    with pytest.raises(ImportFileError, match="shoe_size"):
        list(read_rows(odd))
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("email\na@b.io\n")
    with pytest.raises(ImportFileError, match="first_name and last_name"):
        list(read_rows(nameless))
    with pytest.raises(ImportFileError, match=r"\.csv or \.jsonl"):
        read_rows(tmp_path / "people.xlsx")


def test_jsonl_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text('{"first_name": "A"}\n\n[1, 2]\n{oops\n')
    rows = list(read_rows(path))
    assert [(r.line, r.payload is not None) for r in rows] == [(1, True), (3, False), (4, False)]
    assert rows[1].error == "each line must be one JSON object"
    assert (rows[2].error or "").startswith("not JSON")


def test_the_same_file_makes_the_same_commands(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("first_name,last_name\nA,B\n")
    digest = file_facts(path).digest
    tenant = uuid.uuid4()
    assert command_id_for(tenant, digest, 2) == command_id_for(tenant, digest, 2)
    assert command_id_for(tenant, digest, 2) != command_id_for(tenant, digest, 3)
    assert command_id_for(uuid.uuid4(), digest, 2) != command_id_for(tenant, digest, 2)


def test_repeats_in_a_file_are_keyed_like_the_agent_keys_them() -> None:
    keys = CandidateImport._points(
        {"emails": [" Ada@Example.COM "], "phones": ["+49 (30) 123-4567"], "tags": "x"}
    )
    assert keys == [("email", "ada@example.com"), ("phone", "+49301234567")]
    assert CandidateImport._points({"emails": "not-a-list"}) == []


def test_consent_columns_give_the_consent_with_its_expiry() -> None:
    candidate = candidate_from_csv(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "consent_given_at": "2026-01-05T09:00:00Z",
            "consent_basis": "consent",
            "consent_expires_at": "2028-01-05T09:00:00Z",
        }
    )
    assert candidate["consent"] == {
        "given_at": "2026-01-05T09:00:00Z",
        "basis": "consent",
        "expires_at": "2028-01-05T09:00:00Z",
    }
    without = candidate_from_csv(
        {
            "first_name": "A",
            "last_name": "B",
            "consent_given_at": "2026-01-05",
            "consent_basis": "contract",
        }
    )
    assert "expires_at" not in without["consent"]


def test_willing_to_relocate_is_a_yes_or_no_column() -> None:
    row = {"first_name": "A", "last_name": "B", "willing_to_relocate": "yes"}
    assert candidate_from_csv(row)["willing_to_relocate"] is True
    assert "willing_to_relocate" not in candidate_from_csv({"first_name": "A", "last_name": "B"})
    with pytest.raises(ValueError, match="willing_to_relocate"):
        candidate_from_csv({**row, "willing_to_relocate": "maybe"})
