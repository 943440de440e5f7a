"""Candidate import files: CSV with one candidate a row, or JSON Lines.

Reading turns each row into the JSON shape of a candidate; what cannot take that shape
(a line that is not JSON, a `remote` that is neither yes nor no) is reported here by
line number. Everything else is validated by the candidates agent, as for any command,
and its rejections come back with the line they came from.

CSV columns (a header row names them, in any order; lists are separated by `;`):

    first_name, last_name (required), email(s), phone(s), headline, city, region,
    country, remote, skills (`Python:9:expert; Kafka:3; SQL`), source, owner_id,
    status, available_from, desired_rate, desired_rate_currency, desired_rate_unit,
    desired_salary, desired_salary_currency, work_authorization, willing_to_relocate,
    tags, links, consent_given_at, consent_basis, consent_expires_at

A JSON Lines file holds one candidate object a line, shaped as the body of
`POST /candidates`.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

LIST_SEPARATOR = ";"
CSV_COLUMNS: frozenset[str] = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "emails",
        "phone",
        "phones",
        "headline",
        "city",
        "region",
        "country",
        "remote",
        "skills",
        "source",
        "owner_id",
        "status",
        "available_from",
        "desired_rate",
        "desired_rate_currency",
        "desired_rate_unit",
        "desired_salary",
        "desired_salary_currency",
        "work_authorization",
        "willing_to_relocate",
        "tags",
        "links",
        "consent_given_at",
        "consent_basis",
        "consent_expires_at",
    }
)
TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unknown format, unknown columns)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One candidate of the file: its payload, or why its shape is wrong."""

    line: int
    payload: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FileFacts:
    digest: str
    rows: int


def file_facts(path: Path) -> FileFacts:
    """The file's SHA-256 (command ids derive from it) and an upper bound of its rows."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    header = 1 if path.suffix.lower() == ".csv" else 0
    return FileFacts(digest.hexdigest(), max(lines - header, 0) + 1)


def read_rows(path: Path) -> Iterator[ImportRow]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path)
    raise ImportFileError(f"{path.name}: import takes .csv or .jsonl files, not '{suffix}'")


def _jsonl_rows(path: Path) -> Iterator[ImportRow]:
    with path.open("rb") as f:
        for line, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                candidate = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield ImportRow(line, None, f"not JSON: {exc}")
                continue
            if not isinstance(candidate, dict):
                yield ImportRow(line, None, "each line must be one JSON object")
                continue
            yield ImportRow(line, candidate)


def _csv_rows(path: Path) -> Iterator[ImportRow]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        unknown = sorted(set(columns) - CSV_COLUMNS)
        if unknown:
            raise ImportFileError(
                f"{path.name}: unknown column(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(CSV_COLUMNS))}"
            )
        if not {"first_name", "last_name"} <= set(columns):
            raise ImportFileError(f"{path.name}: the header must name first_name and last_name")
        reader.fieldnames = columns
        for record in reader:
            line = reader.line_num
            try:
                candidate = candidate_from_csv(record)
            except ValueError as exc:
                yield ImportRow(line, None, str(exc))
                continue
            yield ImportRow(line, candidate)


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(LIST_SEPARATOR) if v.strip()]


def _skill(text: str) -> dict[str, Any]:
    name, *rest = [p.strip() for p in text.split(":")]
    skill: dict[str, Any] = {"name": name}
    if rest and rest[0]:
        skill["years"] = rest[0]
    if len(rest) > 1 and rest[1]:
        skill["level"] = rest[1].lower()
    return skill


def _flag(value: str, name: str = "remote") -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(f"{name}: '{value}' is not yes or no")


def candidate_from_csv(record: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row as the JSON shape of a candidate (blank cells are absent fields)."""
    cell = {k: v.strip() for k, v in record.items() if k and isinstance(v, str) and v.strip()}
    candidate: dict[str, Any] = {
        k: cell[k]
        for k in (
            "first_name",
            "last_name",
            "headline",
            "source",
            "owner_id",
            "status",
            "available_from",
            "work_authorization",
        )
        if k in cell
    }
    candidate["emails"] = _list(cell.get("emails")) + _list(cell.get("email"))
    candidate["phones"] = _list(cell.get("phones")) + _list(cell.get("phone"))
    candidate["tags"] = _list(cell.get("tags"))
    candidate["skills"] = [_skill(s) for s in _list(cell.get("skills"))]
    candidate["links"] = [{"url": url} for url in _list(cell.get("links"))]
    location: dict[str, Any] = {k: cell[k] for k in ("city", "region", "country") if k in cell}
    if "remote" in cell:
        location["remote"] = _flag(cell["remote"])
    if location:
        candidate["location"] = location
    if "willing_to_relocate" in cell:
        candidate["willing_to_relocate"] = _flag(cell["willing_to_relocate"], "willing_to_relocate")
    if "desired_rate" in cell:
        candidate["desired_rate"] = {
            "amount": cell["desired_rate"],
            "currency": cell.get("desired_rate_currency", ""),
            "unit": cell.get("desired_rate_unit", "hour"),
        }
    if "desired_salary" in cell:
        candidate["desired_salary"] = {
            "amount": cell["desired_salary"],
            "currency": cell.get("desired_salary_currency", ""),
        }
    if "consent_given_at" in cell or "consent_basis" in cell:
        candidate["consent"] = {
            "given_at": cell.get("consent_given_at"),
            "basis": cell.get("consent_basis"),
        }
        if "consent_expires_at" in cell:
            candidate["consent"]["expires_at"] = cell["consent_expires_at"]
    return candidate
