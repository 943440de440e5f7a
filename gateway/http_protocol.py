"""The HTTP/1.1 protocol the gateway serves: uvicorn's (httptools), answering a request it
cannot parse as problem+json, as every other 4xx of the API is.

A request whose request line and headers are not HTTP, or exceed the parser's 80 KiB
(a query string of that length, say), never reaches the application: uvicorn answers 400
itself, in plain text. The caller is owed the same shape of answer as for any other bad
request, with what to fix.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway.problems import problem
from gateway.security_headers import API_CSP, FIXED_HEADERS

UNREADABLE_DETAIL = (
    "The request could not be read as HTTP/1.1: its request line or headers are malformed, "
    "or together longer than 80 KiB. Send well-formed headers and a shorter URL (the API's "
    "filters and lists take at most a few kilobytes)."
)

# Made once: the answer is the same for every such request. Its body and content headers
# are the API's problem; the headers are those gateway/security_headers.py gives every
# answer (not HSTS: with the request unread, whether it came over TLS is not known).
_PROBLEM = problem(400, UNREADABLE_DETAIL, code="unreadable_request")
UNREADABLE = b"".join(
    [
        *(name + b": " + value + b"\r\n" for name, value in _PROBLEM.raw_headers),
        *(f"{name}: {value}\r\n".encode() for name, value in FIXED_HEADERS),
        f"Content-Security-Policy: {API_CSP}\r\n".encode(),
        b"cache-control: no-store\r\nconnection: close\r\n\r\n",
        bytes(_PROBLEM.body),
    ]
)


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, its own 400 answered as problem+json."""

    def send_400_response(self, msg: str) -> None:
        # As uvicorn's, but the body says what to fix; the connection closes, since the
        # parser cannot tell where the next request would begin.
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(UNREADABLE)
        self.transport.write(b"".join(content))
        self.transport.close()
