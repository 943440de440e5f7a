"""The address a request came from, as the audit log and the login brake record it.

uvicorn (app/cli/root.py) replaces the peer's address with the one in
`X-Forwarded-For` only when the peer is one of `TRUSTED_PROXIES`, so this is the
client's address behind a trusted proxy and the peer's otherwise: a client cannot
choose what is recorded by sending the header itself.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client else UNKNOWN
