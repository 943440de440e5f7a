"""RFC 9457 problem+json for every error the gateway answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.errors import RTError, StoreUnavailable

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

TYPE_BASE = "https://refactortrack.dev/problems/"
RETRY_AFTER_SECONDS = 2


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": TYPE_BASE + (code or phrase.lower().replace(" ", "_")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def _request_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    malformed = False
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if err["type"] in ("json_invalid", "model_attributes_type") or (
            loc == ["body"] and err["type"] in ("dict_type", "missing")
        ):
            malformed = True
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:] if len(loc) > 1 else loc
        errors.setdefault(".".join(loc) or "body", err["msg"])
    if malformed:
        return problem(
            400,
            "The request body is not a JSON object of the expected shape.",
            code="malformed",
            errors=errors,
        )
    return problem(422, "Some fields are invalid; see `errors`.", code="invalid", errors=errors)


def _rt_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RTError)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status == 503 else None
    return problem(
        exc.status, exc.message, code=exc.code, title=exc.title, headers=headers, **exc.extra
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path. Starlette's own 405 names only the
    first route that matched the path, and FastAPI makes one route per method."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(route.methods or ())
    return sorted(methods)


def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    if exc.status_code == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return problem(exc.status_code, str(exc.detail), headers=headers or None)


def _store_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # A store that cannot be reached or is saturated: the caller may retry, not a bug.
    log.warning("a store is unavailable on %s %s: %r", request.method, request.url.path, exc)
    return problem(
        503,
        "A data store is unavailable or overloaded; retry shortly.",
        code="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "An unexpected error occurred; it has been logged.")


Handler = Callable[[Request, Exception], ProblemResponse]


def _on_the_loop(handler: Handler) -> Callable[[Request, Exception], Awaitable[ProblemResponse]]:
    """Starlette runs a plain function handler in its thread pool: a hop to a thread and
    back for every refusal, which under overload (a 503 for each write over the admission
    limit) cost the gateway more than building the answer. These only build a response:
    they run on the loop."""

    async def handle(request: Request, exc: Exception) -> ProblemResponse:
        return handler(request, exc)

    return handle


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_the_loop(_request_validation))
    app.add_exception_handler(RTError, _on_the_loop(_rt_error))
    app.add_exception_handler(StarletteHTTPException, _on_the_loop(_http_error))
    app.add_exception_handler(StoreUnavailable, _on_the_loop(_store_unavailable))
    app.add_exception_handler(Exception, _on_the_loop(_unexpected))
