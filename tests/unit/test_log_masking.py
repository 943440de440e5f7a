"""Logs carry ids, never addresses: whatever a message or a traceback quotes is masked."""

from __future__ import annotations

import logging

from core.logging import MaskPersonalData, mask


def test_emails_and_phones_are_masked_ids_and_numbers_are_not() -> None:
    text = (
        "duplicate key value violates unique constraint: Key (value)=(ada.l+cv@example.co.uk) "
        "phone +44 20 7946 0958 / +14155552671; candidate 3f0c1d2e-aaaa-4bbb-8ccc-123456789012 "
        "at offset 123456789"
    )
    masked = mask(text)
    assert "example.co.uk" not in masked
    assert "7946" not in masked
    assert "4155552671" not in masked
    assert "3f0c1d2e-aaaa-4bbb-8ccc-123456789012" in masked
    assert "offset 123456789" in masked


def test_a_signed_measurement_is_not_taken_for_a_phone() -> None:
    drift = "Timer livelock woke up too late, with a drift of +0.5482155429999693 runtime=0.01"
    assert mask(drift) == drift
    # A number written with one dot, as some people write theirs, is still masked.
    assert "7946" not in mask("call +44.2079460958 or +1.415.555.2671")


def test_a_record_and_its_traceback_leave_masked() -> None:
    try:
        raise ValueError("a candidate with email grace@example.com")
    except ValueError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "refused %s", ("+14155552671",), exc_info=None
        )
        import sys

        record.exc_info = sys.exc_info()
    assert MaskPersonalData().filter(record)
    out = logging.Formatter().format(record)
    assert "grace@example.com" not in out
    assert "4155552671" not in out
    assert "<email>" in out
    assert "<phone>" in out


def test_core_errors_tell_the_kind_and_where_never_the_value() -> None:
    from pydantic import BaseModel, EmailStr, ValidationError

    from core.errors import failure_reason, validation_summary

    class Person(BaseModel):
        email: EmailStr

    try:
        Person.model_validate({"email": "not-an-address grace@example"})
    except ValidationError as exc:
        summary = validation_summary(exc)
    assert summary.startswith("email: ")
    assert "grace" not in summary
    reason = failure_reason(RuntimeError("Key (value)=(grace@example.com) already exists"))
    assert reason.startswith("RuntimeError: ")
    assert "grace@example.com" not in reason


def test_access_logs_keep_the_path_and_parameter_names_not_what_was_searched() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/search/candidates?q=Ada+Lovelace&limit=5", "1.1", 200),
        None,
    )
    assert MaskPersonalData().filter(record)
    line = record.getMessage()
    assert "Lovelace" not in line
    assert "/api/v1/search/candidates?q=…&limit=…" in line


def test_a_masked_message_formats_under_any_formatter() -> None:
    """The masked message is final: a formatter that wraps absent arguments into a
    tuple (mode's, on Faust's workers) must not format it again."""
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "drift of %s, write to %s", (0.25, "ada@example.com"), None
    )
    MaskPersonalData().filter(record)
    # What mode's formatter does to arguments that are not a tuple.
    if not isinstance(record.args, tuple):
        record.args = (record.args,)
    assert record.getMessage() == "drift of 0.25, write to <email>"
