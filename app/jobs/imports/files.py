"""Import files, read and checked whole before anything is sent.

A file is CSV (a header row naming the columns of `app/jobs/flat_records.py`, or other
names mapped to them with `--map`) or JSON Lines (one object a line, shaped as the body
of the kind's `POST`). Its encoding is read, not assumed: a byte order mark, else UTF-8
if every byte of it is, else Windows-1252 (what a spreadsheet on Windows saves), or
what `--encoding` says. What makes the file as a whole unreadable (a byte no encoding
explains, binary content, a broken quote, more cells than the header names, a line of
JSON Lines that is no JSON object, unknown or missing columns, no rows) raises
`ImportFileError` with one line: the file, the line, what is wrong and how to fix it.
A row whose cells cannot take the record's shape (`remote` neither yes nor no) is that
row's problem alone, reported by its line; the rest is validated by the agent.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.jobs.flat_records import EXPORT_ONLY, Cells, Kind
from app.jobs.spreadsheet_cells import restore
from core import jsoncodec

DELIMITERS = (",", ";", "\t", "|")
FALLBACK_ENCODING = "cp1252"
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab, line feed, form feed and carriage return: no text has them.
BINARY = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\f", "\r"} | {"\x7f"}
Mapping_ = Mapping[str, str | None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is one line that says why."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One record of the file: its payload (references not yet resolved), or why its
    shape is wrong; `cells` keeps what references and the record's own id are read from.

    The payload is kept as its JSON: the whole file is read before anything is sent, and a
    million rows' payloads as dicts took gigabytes, as JSON a fifth of that."""

    line: int
    packed: bytes | None
    error: str | None = None
    cells: Cells = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        line: int,
        payload: dict[str, Any] | None,
        error: str | None = None,
        cells: Cells | None = None,
    ) -> ImportRow:
        packed = None if payload is None else jsoncodec.dumps_kept(payload)
        return cls(line, packed, error, cells or {})

    @property
    def payload(self) -> dict[str, Any] | None:
        """A fresh dict each time: the caller may add to it."""
        return None if self.packed is None else jsoncodec.loads(self.packed)


@dataclass(frozen=True, slots=True)
class ImportFile:
    rows: list[ImportRow]
    digest: str
    encoding: str


def read_file(
    path: Path, kind: Kind, *, mapping: Mapping_ | None = None, encoding: str | None = None
) -> ImportFile:
    """The whole file read and checked; ImportFileError when it cannot be imported."""
    name = str(path)
    if not path.exists():
        raise ImportFileError(f"{name}: no such file; check the path")
    if path.is_dir():
        raise ImportFileError(f"{name}: is a directory; give a .csv or .jsonl file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ImportFileError(
            f"{name}: import takes .csv or .jsonl files, not '{suffix or path.name}'; "
            "save the file as CSV (comma-separated values)"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            f"{name}: cannot be read ({exc.strerror}); check its permissions"
        ) from None
    if not raw.strip():
        raise ImportFileError(
            f"{name}: the file is empty; it needs a header row and at least one record"
        )
    text, used = decode(raw, name, encoding)
    _refuse_binary(text, name)
    digest = hashlib.sha256(raw).hexdigest()
    if suffix == ".csv":
        rows = _csv_rows(text, name, kind, mapping or {})
    else:
        rows = _jsonl_rows(text, name, kind, mapping or {})
    if not rows:
        raise ImportFileError(f"{name}: has a header but no rows; there is nothing to import")
    return ImportFile(rows, digest, used)


def file_digest(path: Path) -> str:
    """The file's SHA-256, from which its rows' command ids derive."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFileError(
                f"{name}: unknown encoding '{encoding}'; try utf-8, cp1252 or latin-1"
            ) from None
        return _strict(raw, encoding, name), encoding
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return _strict(raw, codec, name), codec
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return raw.decode(FALLBACK_ENCODING), "windows-1252"
    except UnicodeDecodeError:
        line = raw.count(b"\n", 0, utf8_error.start) + 1
        byte = raw[utf8_error.start]
        raise ImportFileError(
            f"{name}: line {line}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252 text; "
            "save the file as CSV UTF-8, or name its encoding with --encoding"
        ) from None


def _strict(raw: bytes, codec: str, name: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"{name}: line {line}: byte 0x{raw[exc.start]:02x} is not {codec} text; "
            "save the file as CSV UTF-8, or name its encoding with --encoding"
        ) from None


def _refuse_binary(text: str, name: str) -> None:
    at = next((i for i, ch in enumerate(text) if ch in BINARY), None)
    if at is not None:
        line = text.count("\n", 0, at) + 1
        raise ImportFileError(
            f"{name}: line {line}: control character 0x{ord(text[at]):02x}, so this is not a "
            "text file (a spreadsheet's .xlsx, an archive?); save it as CSV"
        )


def _our_name(column: str, mapping: Mapping_) -> str | None:
    """The column's name in our terms: mapped (None: ignored), or as written, lower case."""
    stripped = column.strip()
    for theirs, ours in mapping.items():
        if theirs.strip().lower() == stripped.lower():
            return ours.strip().lower() if ours else None
    return stripped.lower()


def _header(text: str, delimiter: str, mapping: Mapping_) -> list[str | None]:
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return [_our_name(c, mapping) for c in first]


def _delimiter(text: str, kind: Kind, mapping: Mapping_) -> str:
    """The separator under which the header names most of the kind's columns (a
    spreadsheet in much of Europe saves `;`)."""
    known = kind.known()

    def score(delimiter: str) -> int:
        return sum(1 for c in _header(text, delimiter, mapping) if c in known)

    return max(DELIMITERS, key=score)


def _csv_rows(text: str, name: str, kind: Kind, mapping: Mapping_) -> list[ImportRow]:
    delimiter = _delimiter(text, kind, mapping)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [_our_name(c, mapping) for c in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportFileError(f"{name}: line 1: the header cannot be read ({exc})") from None
    _check_header(header, name, kind)
    kept = _kept_cells(kind)
    rows: list[ImportRow] = []
    previous_end = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(
                f"{name}: line {reader.line_num}: {exc}; a value with quotes must be wholly in "
                'double quotes, and a quote inside one doubled ("")'
            ) from None
        line, previous_end = previous_end + 1, reader.line_num
        if not any(v.strip() for v in record):
            continue
        if len(record) > len(header):
            raise ImportFileError(
                f"{name}: line {line}: {len(record)} cells where the header names "
                f"{len(header)}; a value holding '{delimiter}' must be in double quotes"
            )
        cells = {
            column: restore(value.strip())
            for column, value in zip(header, record, strict=False)
            if column is not None and value.strip()
        }
        rows.append(_row(line, cells, kind, kept))
    return rows


def _check_header(header: list[str | None], name: str, kind: Kind) -> None:
    named = [c for c in header if c is not None]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise ImportFileError(f"{name}: line 1: column(s) named twice: {', '.join(repeated)}")
    unknown = sorted(set(named) - kind.known())
    if unknown and len(unknown) == len(named):
        raise ImportFileError(
            f"{name}: line 1 names none of the {kind.name} columns ({', '.join(unknown)[:120]}); "
            "is the first line the header? Map another system's names with --map"
        )
    if unknown:
        raise ImportFileError(
            f"{name}: line 1: unknown column(s) {', '.join(unknown)}; rename them, map them "
            f"with --map (or map them to null to skip them); known: {', '.join(kind.columns)}"
        )
    missing = kind.missing(set(named) | {kind.aliases.get(c, c) for c in named})
    if missing:
        raise ImportFileError(
            f"{name}: line 1: the header lacks required column(s) {', '.join(missing)}; "
            "add them, or map yours to them with --map"
        )


def _kept_cells(kind: Kind) -> set[str]:
    """The cells a row keeps past its payload: its own id and its references' columns, read
    when the import resolves them (the rest are in the payload; keeping every cell of a
    million rows twice over took gigabytes)."""
    return {c for ref in kind.references for c in (ref.id_column, *ref.key_columns)} | {"id"}


def _row(line: int, cells: Cells, kind: Kind, kept: set[str]) -> ImportRow:
    ours = {c: v for c, v in cells.items() if c in kept}
    try:
        payload = kind.to_payload(cells)
    except ValueError as exc:
        return ImportRow.of(line, None, str(exc), ours)
    return ImportRow.of(line, payload, None, ours)


def _jsonl_rows(text: str, name: str, kind: Kind, mapping: Mapping_) -> list[ImportRow]:
    kept = _kept_cells(kind)
    references = kept - {"id"}
    rows: list[ImportRow] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            found = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ImportFileError(
                f"{name}: line {line}: not JSON ({exc}); each line must be one JSON object"
            ) from None
        if not isinstance(found, dict):
            raise ImportFileError(f"{name}: line {line}: each line must be one JSON object")
        record: dict[str, Any] = {}
        for key, value in found.items():
            ours = _our_name(key, mapping)
            if ours is not None:
                record[ours] = value
        cells = {
            k: str(v)
            for k, v in record.items()
            if k in kept and isinstance(v, str | int) and str(v).strip()
        }
        skipped = references | EXPORT_ONLY | kind.read_only | {"id"}
        payload = {k: v for k, v in record.items() if k not in skipped}
        rows.append(ImportRow.of(line, payload, None, cells))
    return rows
