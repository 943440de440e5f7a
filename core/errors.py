"""The one error hierarchy. Agents raise these; the gateway maps each to one status."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.logging import mask


class RTError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"
    status = 400
    title = "Bad request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "title": self.title,
            **self.extra,
        }


class BadQuery(RTError):
    """A search query that does not parse; `position` is where it breaks (from 1)."""

    code = "bad_query"
    status = 400
    title = "Malformed search query"


class NotFound(RTError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(RTError):
    code = "conflict"
    status = 409
    title = "Conflict"


class Duplicate(Conflict):
    code = "duplicate"
    title = "Duplicate"


class VersionMismatch(RTError):
    code = "version_mismatch"
    status = 412
    title = "Precondition failed"


class InvalidCommand(RTError):
    code = "invalid"
    status = 422
    title = "Unprocessable content"


class UnknownCommand(InvalidCommand):
    code = "unknown_command"


class UnsupportedMediaType(RTError):
    """A file whose content is none of the kinds accepted where it was sent."""

    code = "unsupported_media_type"
    status = 415
    title = "Unsupported media type"


class Unavailable(RTError):
    code = "unavailable"
    status = 503
    title = "Service unavailable"


class TooLate(RTError):
    """The broker appended the command after its deadline: the gateway had already told
    its sender 503, so it is refused, never applied."""

    code = "deadline_passed"
    status = 503
    title = "Arrived too late"


class SubjectErased(RTError):
    """The person a command is about was erased: its personal fields can no longer be read."""

    code = "subject_erased"
    status = 410
    title = "Gone"


class StoreUnavailable(Exception):
    """A store cannot be reached, or is too busy to answer: worth a retry, never a verdict.

    Not an RTError on purpose: a handler that meets it must fail its transaction so the
    command is retried, not record a rejection.
    """

    def __init__(self, store: str, cause: BaseException) -> None:
        super().__init__(f"{store} is unavailable: {type(cause).__name__}: {cause}")
        self.store = store


class RecordedError(RTError):
    """An error read back from a command outcome, with the status and title it was raised with."""

    def __init__(self, message: str, *, code: str, status: int, title: str, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.code = code
        self.status = status
        self.title = title


def error_from_dict(data: dict[str, Any]) -> RTError:
    """Rebuild an error recorded in a command outcome."""
    known = ("code", "message", "status", "title")
    return RecordedError(
        str(data.get("message", "")),
        code=str(data.get("code", RTError.code)),
        status=int(data.get("status", RTError.status)),
        title=str(data.get("title", RTError.title)),
        **{k: v for k, v in data.items() if k not in known},
    )


def field_errors(exc: ValidationError) -> dict[str, str]:
    """`{"location.country": "String should have at most 2 characters", ...}`."""
    out: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "body"
        out.setdefault(path, err["msg"])
    return out


def validation_summary(exc: ValidationError, limit: int = 5) -> str:
    """Where and what, never the value: `str(exc)` quotes the input, which may be personal."""
    return "; ".join(f"{k}: {v}" for k, v in list(field_errors(exc).items())[:limit])


def failure_reason(exc: BaseException) -> str:
    """An unexpected failure, told for a DLQ entry or a rejection: its kind and its text
    with anything shaped like an email or a phone number masked (a driver's message can
    quote the row it failed on)."""
    return f"{type(exc).__name__}: {mask(str(exc))}"[:500]


def invalid_from(exc: ValidationError) -> InvalidCommand:
    return InvalidCommand(f"invalid payload: {validation_summary(exc)}", errors=field_errors(exc))
