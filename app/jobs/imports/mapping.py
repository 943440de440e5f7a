"""`--map FILE`: another system's column names mapped to ours.

A JSON object `{"their column": "our column"}` (null: skip that column), or a CSV of
two columns, theirs then ours (an empty second cell skips it), with or without a header
row `their_column,our_column`. Names are matched without regard to case or surrounding
spaces; columns the map does not name keep their own names.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson

from app.jobs.imports.files import ImportFileError, decode


def read_mapping(path: Path) -> dict[str, str | None]:
    name = f"{path} (--map)"
    if not path.is_file():
        raise ImportFileError(f"{name}: no such file; check the path")
    text, _ = decode(path.read_bytes(), name)
    if path.suffix.lower() == ".json":
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ImportFileError(f"{name}: not JSON ({exc})") from None
        if not isinstance(found, dict) or not all(
            isinstance(v, str | None) for v in found.values()
        ):
            raise ImportFileError(
                f'{name}: must be one JSON object of names, {{"their column": "our column"}}'
            )
        return {str(k): v for k, v in found.items()}
    if path.suffix.lower() != ".csv":
        raise ImportFileError(f"{name}: a map is a .json object or a two-column .csv file")
    mapping: dict[str, str | None] = {}
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip():
            continue
        if len(row) > 2:
            raise ImportFileError(f"{name}: line {line}: two columns, theirs and ours")
        theirs, ours = row[0].strip(), (row[1].strip() if len(row) > 1 else "")
        if line == 1 and (theirs.lower(), ours.lower()) == ("their_column", "our_column"):
            continue
        mapping[theirs] = ours or None
    return mapping
