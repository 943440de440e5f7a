"""`/metrics` on a port of its own (METRICS_PORT), away from the public API.

Prometheus scrapes it there, so the API's ingress never needs to expose it. A small
threaded WSGI server, started and stopped with the gateway's lifespan, serving this
process's registry; with METRICS_TOKEN it too asks for `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

log = logging.getLogger(__name__)


def token_matches(header: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `token` as a bearer (constant time)."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not news."""


def _guarded(token: str) -> Any:
    metrics = make_wsgi_app()
    if not token:
        return metrics

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not token_matches(environ.get("HTTP_AUTHORIZATION"), token):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"Send Authorization: Bearer <METRICS_TOKEN>.\n"]
        result: Iterable[bytes] = metrics(environ, start_response)
        return result

    return app


class MetricsServer:
    def __init__(self, host: str, port: int, token: str) -> None:
        self._host, self._port, self._token = host, port, token
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = make_server(
            self._host,
            self._port,
            _guarded(self._token),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", self._host, self._port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
