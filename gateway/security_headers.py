"""Headers that tell browsers how to treat every answer of the gateway.

- `X-Content-Type-Options: nosniff`: a JSON answer is never run as a script or page.
- `Referrer-Policy: no-referrer`: ids in our URLs never leak to other sites.
- `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page of ours in a frame
  (clickjacking).
- `Content-Security-Policy`: for the API's answers, nothing may load at all; for the
  dashboard (static HTML, its script and stylesheet from /dashboard/static, no inline
  script or style attribute), only its own script, style and calls to this origin; so
  do the reference pages (`/api/docs`, `/api/asyncapi`), which load Swagger UI and their
  own script from this origin too.
- `Strict-Transport-Security` on answers over TLS: the request's scheme is https
  (uvicorn's TLS, or X-Forwarded-Proto from a TRUSTED_PROXIES address), or FORCE_HSTS.

It wraps the whole app (`HeaderedAPI`), outside even the handler of unexpected errors,
so a 500, a 413 or a CORS refusal carries the headers too. A route that sets one of
these headers itself keeps its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/api/docs", "/api/asyncapi"})


# What every answer carries, whatever its path and scheme.
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)


def content_security_policy(path: str) -> str:
    if path == "/dashboard":
        return DASHBOARD_CSP
    if path in DOCS_PATHS:
        return DOCS_CSP
    return API_CSP


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int, force_hsts: bool) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains" if hsts_max_age > 0 else None
        self.force_hsts = force_hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FIXED_HEADERS:
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", content_security_policy(path))
                # Read when the answer starts: uvicorn has set the scheme from a trusted
                # proxy's X-Forwarded-Proto by then.
                if self.hsts and (self.force_hsts or scope.get("scheme") == "https"):
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeaderedAPI(FastAPI):
    """FastAPI with `SecurityHeaders` around its whole middleware stack."""

    def __init__(self, *, hsts_max_age: int, force_hsts: bool, **kwargs: Any) -> None:
        self._hsts_max_age = hsts_max_age
        self._force_hsts = force_hsts
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(
            super().build_middleware_stack(),
            hsts_max_age=self._hsts_max_age,
            force_hsts=self._force_hsts,
        )
