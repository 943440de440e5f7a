"""The one error hierarchy. Agents raise these; the gateway maps each to one status."""

from __future__ import annotations

from typing import Any


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
        return {"code": self.code, "message": self.message, **self.extra}


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


class Unavailable(RTError):
    code = "unavailable"
    status = 503
    title = "Service unavailable"


ERRORS_BY_CODE: dict[str, type[RTError]] = {
    cls.code: cls
    for cls in (
        RTError,
        NotFound,
        Conflict,
        Duplicate,
        VersionMismatch,
        InvalidCommand,
        UnknownCommand,
        Unavailable,
    )
}


def error_from_dict(data: dict[str, Any]) -> RTError:
    """Rebuild an error recorded in a command outcome."""
    extra = {k: v for k, v in data.items() if k not in ("code", "message")}
    cls = ERRORS_BY_CODE.get(str(data.get("code")), RTError)
    return cls(str(data.get("message", "")), **extra)
