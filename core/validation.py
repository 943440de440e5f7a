from __future__ import annotations

from pydantic import ValidationError

from core.errors import InvalidCommand


def field_errors(exc: ValidationError) -> dict[str, str]:
    """`{"location.country": "String should have at most 2 characters", ...}`."""
    out: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "body"
        out.setdefault(path, err["msg"])
    return out


def invalid_from(exc: ValidationError) -> InvalidCommand:
    errors = field_errors(exc)
    summary = "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:5])
    return InvalidCommand(f"invalid payload: {summary}", errors=errors)
