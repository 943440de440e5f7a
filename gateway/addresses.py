"""The address a request came from, as the audit log and the login brake record it.

uvicorn (app/cli/root.py) replaces the peer's address with the one in
`X-Forwarded-For` only when the peer is one of `TRUSTED_PROXIES`, so this is the
client's address behind a trusted proxy and the peer's otherwise: a client cannot
choose what is recorded by sending the header itself.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"
MAX_ADDRESS_CHARS = 100
"""As the audit log and the command envelope keep it (an IPv6 address is at most 45)."""


def client_address(request: HTTPConnection) -> str:
    host = request.client.host if request.client else ""
    # Whatever a proxy forwarded, what is kept is printable and fits its column.
    cleaned = "".join(ch for ch in host if ch.isprintable())[:MAX_ADDRESS_CHARS]
    return cleaned or UNKNOWN
