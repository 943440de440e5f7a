"""The HTTP/1.1 protocol the gateway serves: uvicorn's (httptools), answering a request it
cannot parse as problem+json, as every other 4xx of the API is.

A request whose request line and headers are not HTTP, or exceed the parser's 80 KiB
(a query string of that length, say), never reaches the application: uvicorn answers 400
itself, in plain text. The caller is owed the same shape of answer as for any other bad
request, with what to fix.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE
from gateway.security_headers import API_CSP

UNREADABLE_DETAIL = (
    "The request could not be read as HTTP/1.1: its request line or headers are malformed, "
    "or together longer than 80 KiB. Send well-formed headers and a shorter URL (the API's "
    "filters and lists take at most a few kilobytes)."
)

UNREADABLE = json.dumps(
    {
        "type": TYPE_BASE + "unreadable_request",
        "title": "Bad Request",
        "status": 400,
        "detail": UNREADABLE_DETAIL,
    }
).encode()


# The headers gateway/security_headers.py gives every answer of the API (not HSTS: with
# the request unread, whether it came over TLS is not known).
UNREADABLE_HEADERS = [
    f"{name}: {value}\r\n".encode()
    for name, value in (
        ("content-security-policy", API_CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    )
]


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, its own 400 answered as problem+json."""

    def send_400_response(self, msg: str) -> None:
        # As uvicorn's, but the body says what to fix; the connection closes, since the
        # parser cannot tell where the next request would begin.
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(UNREADABLE)).encode("ascii") + b"\r\n",
                *UNREADABLE_HEADERS,
                b"connection: close\r\n",
                b"\r\n",
                UNREADABLE,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
