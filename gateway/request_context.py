"""Each request gets an id (the caller's `X-Request-ID` if it is a sane one), answered in
`X-Request-ID` and carried on every log line written while the request is served."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import COMMAND_ID, REQUEST_ID, TENANT_ID

HEADER = "x-request-id"
# A proxy's or client's id is kept when it could not smuggle anything into a log line.
SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        request_id = given if SANE.match(given) else uuid.uuid4().hex
        tokens = (REQUEST_ID.set(request_id), TENANT_ID.set(None), COMMAND_ID.set(None))

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            COMMAND_ID.reset(tokens[2])
            TENANT_ID.reset(tokens[1])
            REQUEST_ID.reset(tokens[0])
