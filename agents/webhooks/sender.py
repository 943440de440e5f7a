"""One attempt at one delivery: signed as Standard Webhooks says, sent to the address that
was checked, within a short timeout, never following a redirect."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from core.settings import Settings
from domain.webhooks import BadTarget, signature
from stores.webhook_targets import resolve_target

USER_AGENT = "RefactorTrack-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Attempt:
    """What came of one attempt: the receiver's status, or None and why there was none."""

    status_code: int | None
    error: str | None = None


class WebhookSender:
    """Owns the HTTP client (opened by `start`, in the worker's service, not at import)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            seconds = self._settings.webhook_timeout_seconds
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                # No proxy or .netrc from the environment: the address checked is the one
                # connected to.
                trust_env=False,
                timeout=httpx.Timeout(seconds),
                limits=httpx.Limits(
                    max_connections=self._settings.webhook_concurrency,
                    max_keepalive_connections=min(20, self._settings.webhook_concurrency),
                ),
            )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, url: str, message_id: str, body: bytes, secret: str) -> Attempt:
        await self.start()
        assert self._client is not None
        try:
            # Resolved and checked now, at send time (DNS rebinding): see webhook_targets.
            target = await resolve_target(url, self._settings)
        except BadTarget as exc:
            return Attempt(None, f"refused: {exc}")
        timestamp = int(time.time())
        original = httpx.URL(url)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": original.netloc.decode("ascii"),
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body),
        }
        # Connect to the checked address; the name still goes in Host and, over TLS, in
        # SNI, against which the certificate is verified.
        pinned = original.copy_with(host=target.address)
        extensions = {"sni_hostname": target.parts.host} if target.parts.scheme == "https" else {}
        try:
            async with asyncio.timeout(self._settings.webhook_timeout_seconds):
                # Streamed and closed unread: a receiver's answer says yes or no by its
                # status, and a large or endless body costs nothing.
                async with self._client.stream(
                    "POST", pinned, content=body, headers=headers, extensions=extensions
                ) as response:
                    return Attempt(response.status_code)
        except TimeoutError:
            return Attempt(None, "timed out")
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except OSError as exc:
            return Attempt(None, f"connection failed: {exc}")
