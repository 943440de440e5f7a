"""A request body limit enforced before any route reads the body (413).

A 413 must reach the client. Answering while the body is still on its way, then closing,
makes the kernel reset the connection over the unread bytes, and most clients (Python's
urllib and requests among them) are still writing: they see the reset, never the answer.
So the rest of the body is read and thrown away before answering, up to `DRAIN_BYTES`
and `DRAIN_SECONDS` (a client that sends more, or too slowly, is cut off: that is the
point of a limit), and the answer closes the connection.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.problems import problem

# What a refused body may still cost us to read, so the client hears why.
DRAIN_BYTES = 64 * 1_048_576
DRAIN_SECONDS = 10.0


class _TooLarge(Exception):
    pass


async def drain(receive: Receive, *, max_bytes: int = DRAIN_BYTES) -> None:
    """Read and discard what is left of the request body, within the bounds above."""
    drained = 0
    with anyio.move_on_after(DRAIN_SECONDS):
        while drained <= max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    def _limit(self, scope: Scope) -> int:
        # Resume uploads are the one kind of request allowed to be large.
        is_upload = scope["method"] == "POST" and str(scope["path"]).endswith("/documents")
        return self.upload_bytes if is_upload else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        seen = 0
        started = False
        answered = False

        async def counting_receive() -> Message:
            # A body without Content-Length is counted as it arrives. Past the limit the
            # 413 is sent from here: an exception would reach the route's body parser,
            # which makes any error of reading a 400. The app then hears that the client
            # left, and whatever it answers goes nowhere.
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if started:
                        raise _TooLarge  # too late for a 413: end the exchange
                    done = not message.get("more_body", False)
                    await self._reject(scope, receive, send, limit, drained=done)
                    answered = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not answered:
                raise

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, limit: int, *, drained: bool = False
    ) -> None:
        if not drained:
            await drain(receive)
        response = problem(
            413,
            f"The request body is larger than the limit of {limit} bytes.",
            code="too_large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
