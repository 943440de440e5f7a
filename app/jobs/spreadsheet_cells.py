"""Cells a spreadsheet would run as formulas, defused on the way out and restored on the
way in (OWASP, CSV injection).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`, `@SUM(...)`, a phone number
`+49...` too): the export writes it with a leading `'`, which spreadsheets show as text
and do not display. The importer takes the `'` off again when a formula character
follows it, so an export imports back unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    """The cell as written to a CSV file: text a spreadsheet will not evaluate."""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def restore(value: str) -> str:
    """The cell as read from a CSV file: a neutralised value back as it was."""
    if value.startswith(QUOTE) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
