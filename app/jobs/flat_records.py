"""Each kind of record as one flat row of named cells: what `export --format csv` writes
and what `import` reads back, so a file exported from one agency imports into another.

Lists are separated by `;` inside a cell; a skill is `name:years:level`
(`Python:9:expert; Kafka:3; SQL`); a link is `kind=url` or a bare url; work history and
education, which no spreadsheet column holds well, are JSON arrays in one cell. A blank
cell is an absent field. References to other records are written twice, by id and by a
natural key (a client's name, a candidate's or contact's e-mail, a requisition's title
with its client), so the importer can find them in an agency where the ids differ
(docs/import-export.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

LIST_SEPARATOR = ";"
TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})
# Written by the export for the reader's information; the importer skips them (the
# target agency gives its own versions, times and pipeline stages).
EXPORT_ONLY = frozenset({"tenant_id", "version", "created_at", "updated_at"})

Cells = dict[str, str]
"""A row's non-blank cells, by our column name, stripped."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A field that names another record: by `id_column` (an id in the agency, or the id
    an export gave it), or else by the natural key in `key_columns`."""

    field: str
    target: str
    """"client", "contact", "candidate" or "requisition"."""
    id_column: str
    key_columns: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    noun: str
    columns: tuple[str, ...]
    """Every column, in the export's order; the importer takes each of them."""
    required: frozenset[str]
    """Columns every file must have (a reference counts as given by its id or key columns)."""
    to_payload: Callable[[Cells], dict[str, Any]]
    """A row as the create command's payload, references left out; ValueError: why not."""
    to_cells: Callable[[Mapping[str, Any]], Cells]
    """A record as read (JSON-ready, references' keys added) as cells."""
    references: tuple[Reference, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other names the importer takes for a column (`email` for `emails`)."""
    read_only: frozenset[str] = frozenset()
    """Fields of an exported record (JSON Lines) that its create does not take."""

    def known(self) -> frozenset[str]:
        return frozenset(self.columns) | frozenset(self.aliases) | EXPORT_ONLY

    def missing(self, header: set[str]) -> list[str]:
        """The required columns (or reference columns) a header lacks."""
        missing = sorted(c for c in self.required if c not in header)
        for ref in self.references:
            if ref.required and ref.id_column not in header and not set(ref.key_columns) <= header:
                keys = " and ".join(ref.key_columns)
                missing.append(f"{ref.id_column} (or {keys})")
        return missing


# --- cells ----------------------------------------------------------------------------


def as_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(LIST_SEPARATOR) if v.strip()]


def join(values: list[str]) -> str:
    return "; ".join(values)


def flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(f"{name}: '{value}' is not yes or no")


def number(value: Any) -> str:
    """A number as a person writes it: `9`, `2.5`, `90.00` (a decimal kept as stored)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def json_cell(name: str, value: str) -> list[Any]:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise ValueError(f"{name}: not a JSON array") from None
    if not isinstance(parsed, list):
        raise ValueError(f"{name}: not a JSON array")
    return parsed


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _pick(cell: Cells, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: cell[k] for k in names if k in cell}


def _plain(record: Mapping[str, Any], names: tuple[str, ...]) -> Cells:
    return {k: _text(record.get(k)) for k in names}


# --- candidates -----------------------------------------------------------------------

CANDIDATE_PLAIN = (
    "first_name",
    "last_name",
    "headline",
    "source",
    "owner_id",
    "status",
    "available_from",
    "work_authorization",
)
CANDIDATE_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "emails",
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
    "work_history",
    "education",
    "consent_given_at",
    "consent_basis",
    "consent_expires_at",
    "created_at",
    "updated_at",
)
LINK = re.compile(r"^([a-z_]{1,40})=(.+)$")


def _skill(text: str) -> dict[str, Any]:
    name, *rest = [p.strip() for p in text.split(":")]
    skill: dict[str, Any] = {"name": name}
    if rest and rest[0]:
        skill["years"] = rest[0]
    if len(rest) > 1 and rest[1]:
        skill["level"] = rest[1].lower()
    return skill


def _link(text: str) -> dict[str, Any]:
    found = LINK.match(text)
    return {"kind": found[1], "url": found[2].strip()} if found else {"url": text}


def candidate_payload(cell: Cells) -> dict[str, Any]:
    """A CSV row as the JSON shape of a candidate (blank cells are absent fields)."""
    candidate: dict[str, Any] = _pick(cell, CANDIDATE_PLAIN)
    candidate["emails"] = as_list(cell.get("emails")) + as_list(cell.get("email"))
    candidate["phones"] = as_list(cell.get("phones")) + as_list(cell.get("phone"))
    candidate["tags"] = as_list(cell.get("tags"))
    candidate["skills"] = [_skill(s) for s in as_list(cell.get("skills"))]
    candidate["links"] = [_link(url) for url in as_list(cell.get("links"))]
    for name in ("work_history", "education"):
        if name in cell:
            candidate[name] = json_cell(name, cell[name])
    location: dict[str, Any] = _pick(cell, ("city", "region", "country"))
    if "remote" in cell:
        location["remote"] = flag("remote", cell["remote"])
    if location:
        candidate["location"] = location
    if "willing_to_relocate" in cell:
        candidate["willing_to_relocate"] = flag("willing_to_relocate", cell["willing_to_relocate"])
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


def candidate_cells(record: Mapping[str, Any]) -> Cells:
    cells = _plain(record, ("id", *CANDIDATE_PLAIN, "created_at", "updated_at"))
    cells["emails"] = join(record.get("emails") or [])
    cells["phones"] = join(record.get("phones") or [])
    cells["tags"] = join(record.get("tags") or [])
    cells["skills"] = join(
        [
            ":".join([s["name"], number(s.get("years")), s.get("level") or ""]).rstrip(":")
            for s in record.get("skills") or []
        ]
    )
    cells["links"] = join(
        [
            link["url"] if link.get("kind", "other") == "other" else f"{link['kind']}={link['url']}"
            for link in record.get("links") or []
        ]
    )
    for name in ("work_history", "education"):
        items = record.get(name) or []
        cells[name] = orjson.dumps(items).decode() if items else ""
    location = record.get("location") or {}
    cells.update({k: _text(location.get(k)) for k in ("city", "region", "country", "remote")})
    cells["willing_to_relocate"] = _text(record.get("willing_to_relocate"))
    rate = record.get("desired_rate") or {}
    cells["desired_rate"] = number(rate.get("amount"))
    cells["desired_rate_currency"] = _text(rate.get("currency"))
    cells["desired_rate_unit"] = _text(rate.get("unit")) if rate else ""
    salary = record.get("desired_salary") or {}
    cells["desired_salary"] = number(salary.get("amount"))
    cells["desired_salary_currency"] = _text(salary.get("currency"))
    consent = record.get("consent") or {}
    cells["consent_given_at"] = _text(consent.get("given_at"))
    cells["consent_basis"] = _text(consent.get("basis"))
    cells["consent_expires_at"] = _text(consent.get("expires_at"))
    return cells


# --- clients and contacts ---------------------------------------------------------------

CLIENT_PLAIN = ("name", "industry", "status", "default_fee_percent", "payment_terms", "owner_id")


def client_payload(cell: Cells) -> dict[str, Any]:
    return _pick(cell, CLIENT_PLAIN)


def client_cells(record: Mapping[str, Any]) -> Cells:
    return _plain(record, ("id", *CLIENT_PLAIN, "created_at", "updated_at"))


CONTACT_PLAIN = ("first_name", "last_name", "title", "email", "phone", "role")


def contact_payload(cell: Cells) -> dict[str, Any]:
    return _pick(cell, CONTACT_PLAIN)


def contact_cells(record: Mapping[str, Any]) -> Cells:
    return _plain(record, ("id", "client_id", "client", *CONTACT_PLAIN, "created_at", "updated_at"))


# --- requisitions -----------------------------------------------------------------------

REQUISITION_PLAIN = (
    "title",
    "description",
    "employment_type",
    "openings",
    "fee_percent",
    "priority",
    "owner_id",
    "target_date",
)
RANGES = ("bill_rate", "salary")


def requisition_payload(cell: Cells) -> dict[str, Any]:
    requisition: dict[str, Any] = _pick(cell, REQUISITION_PLAIN)
    requisition["required_skills"] = as_list(cell.get("required_skills"))
    requisition["nice_to_have_skills"] = as_list(cell.get("nice_to_have_skills"))
    location: dict[str, Any] = _pick(cell, ("city", "region", "country"))
    if "remote" in cell:
        location["remote"] = cell["remote"].lower()
    if location:
        requisition["location"] = location
    for name in RANGES:
        if f"{name}_min" in cell or f"{name}_max" in cell:
            requisition[name] = {
                "min": cell.get(f"{name}_min", ""),
                "max": cell.get(f"{name}_max", ""),
                "currency": cell.get(f"{name}_currency", ""),
            }
    return requisition


def requisition_cells(record: Mapping[str, Any]) -> Cells:
    cells = _plain(
        record,
        (
            "id",
            "client_id",
            "client",
            "contact_id",
            "contact_email",
            *REQUISITION_PLAIN,
            "status",
            "created_at",
            "updated_at",
        ),
    )
    cells["required_skills"] = join(record.get("required_skills") or [])
    cells["nice_to_have_skills"] = join(record.get("nice_to_have_skills") or [])
    location = record.get("location") or {}
    cells.update({k: _text(location.get(k)) for k in ("city", "region", "country", "remote")})
    for name in RANGES:
        bounds = record.get(name) or {}
        cells[f"{name}_min"] = number(bounds.get("min"))
        cells[f"{name}_max"] = number(bounds.get("max"))
        cells[f"{name}_currency"] = _text(bounds.get("currency"))
    return cells


# --- the pipeline -----------------------------------------------------------------------


def submission_payload(cell: Cells) -> dict[str, Any]:
    return _pick(cell, ("source",))


def submission_cells(record: Mapping[str, Any]) -> Cells:
    return _plain(
        record,
        (
            "id",
            "candidate_id",
            "candidate_email",
            "requisition_id",
            "requisition_title",
            "client",
            "source",
            "stage",
            "created_at",
            "updated_at",
        ),
    )


PLACEMENT_MONEY = (
    "currency",
    "bill_rate",
    "pay_rate",
    "margin",
    "markup",
    "margin_percent",
    "salary",
    "fee_percent",
    "fee",
)


def placement_cells(record: Mapping[str, Any]) -> Cells:
    return _plain(
        record,
        (
            "id",
            "submission_id",
            "candidate_id",
            "candidate_email",
            "requisition_id",
            "requisition_title",
            "client_id",
            "client",
            "start_date",
            "end_date",
            "status",
            *PLACEMENT_MONEY,
            "end_reason",
            "created_at",
            "updated_at",
        ),
    )


def _not_imported(cell: Cells) -> dict[str, Any]:
    raise ValueError("placements are made by moving a submission to placed, not imported")


CLIENT_REF = Reference("client_id", "client", "client_id", ("client",))

KINDS: dict[str, Kind] = {
    "candidates": Kind(
        "candidates",
        "candidate",
        CANDIDATE_COLUMNS,
        frozenset({"first_name", "last_name"}),
        candidate_payload,
        candidate_cells,
        aliases={"email": "emails", "phone": "phones"},
        read_only=frozenset({"merged_into"}),
    ),
    "clients": Kind(
        "clients",
        "client",
        ("id", *CLIENT_PLAIN, "created_at", "updated_at"),
        frozenset({"name"}),
        client_payload,
        client_cells,
    ),
    "contacts": Kind(
        "contacts",
        "contact",
        ("id", "client_id", "client", *CONTACT_PLAIN, "created_at", "updated_at"),
        frozenset({"first_name", "last_name"}),
        contact_payload,
        contact_cells,
        references=(CLIENT_REF,),
    ),
    "requisitions": Kind(
        "requisitions",
        "requisition",
        tuple(requisition_cells({}).keys()),
        frozenset({"title"}),
        requisition_payload,
        requisition_cells,
        references=(
            CLIENT_REF,
            Reference("contact_id", "contact", "contact_id", ("contact_email",), required=False),
        ),
        read_only=frozenset({"status", "status_reason", "opened_at", "filled_at"}),
    ),
    "submissions": Kind(
        "submissions",
        "submission",
        tuple(submission_cells({}).keys()),
        frozenset(),
        submission_payload,
        submission_cells,
        references=(
            Reference("candidate_id", "candidate", "candidate_id", ("candidate_email",)),
            Reference(
                "requisition_id", "requisition", "requisition_id", ("requisition_title", "client")
            ),
        ),
        read_only=frozenset({"stage", "history"}),
    ),
    "placements": Kind(
        "placements",
        "placement",
        tuple(placement_cells({}).keys()),
        frozenset(),
        _not_imported,
        placement_cells,
    ),
}
IMPORTABLE = ("candidates", "clients", "contacts", "requisitions", "submissions")
