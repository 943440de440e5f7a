"""How many live streams (SSE) a caller may hold open, and how long each may run.

A stream holds a lease under the caller's cap (SSE_STREAMS_PER_USER) and its agency's
(SSE_STREAMS_PER_AGENCY) from `stores.stream_slots`; a new stream past either answers
429. A stream opened with a bearer token ends when that token expires: the stream
outliving its credential would keep serving someone whose access has run out. A stream
opened with an API key runs until the client leaves.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

import anyio
from fastapi import HTTPException, Request

from core.clock import utcnow
from core.errors import StoreUnavailable
from core.settings import Settings
from gateway.auth import InvalidToken, Principal, read_token
from stores.redis import RedisStore
from stores.stream_slots import (
    agency_streams_key,
    claim_stream,
    release_stream,
    renew_stream,
    user_streams_key,
)

log = logging.getLogger(__name__)

# A lease outlives a few renewals, so a busy gateway never loses a live stream's slot,
# and a dead gateway's slots come back within this long.
LEASE_SECONDS = 60.0
RENEW_SECONDS = 15.0
RETRY_AFTER_SECONDS = 5


@dataclass
class StreamLease:
    redis: RedisStore
    keys: list[str]
    stream_id: str
    renewed: float = field(default_factory=time.monotonic)

    async def keep(self) -> None:
        """Renew the lease if it is due; a Redis hiccup does not end the stream."""
        if time.monotonic() - self.renewed < RENEW_SECONDS:
            return
        self.renewed = time.monotonic()
        try:
            await renew_stream(self.redis, self.keys, self.stream_id, LEASE_SECONDS)
        except StoreUnavailable as exc:
            log.warning("could not renew a stream's lease (it lapses if this lasts): %s", exc)

    async def release(self) -> None:
        # Shielded: the stream is usually ending because its task was cancelled.
        with anyio.CancelScope(shield=True):
            try:
                await release_stream(self.redis, self.keys, self.stream_id)
            except StoreUnavailable as exc:
                log.warning("could not release a stream's slot (its lease lapses): %s", exc)


async def claim(settings: Settings, redis: RedisStore, principal: Principal) -> StreamLease:
    """A slot for one more stream of `principal`, or 429 naming the cap that is full."""
    caps = [
        (user_streams_key(str(principal.id)), settings.sse_streams_per_user),
        (agency_streams_key(str(principal.tenant_id)), settings.sse_streams_per_agency),
    ]
    stream_id = uuid.uuid4().hex
    full = await claim_stream(redis, caps, stream_id, LEASE_SECONDS)
    if full is not None:
        mine = full == caps[0][0]
        cap = caps[0][1] if mine else caps[1][1]
        who = "you (this user or API key)" if mine else "your agency"
        setting = "SSE_STREAMS_PER_USER" if mine else "SSE_STREAMS_PER_AGENCY"
        raise HTTPException(
            429,
            f"{cap} live streams are already open for {who} ({setting}); close one "
            "(another tab or dashboard) before opening another.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return StreamLease(redis, [key for key, _ in caps], stream_id)


def token_expires_in(request: Request, settings: Settings) -> float | None:
    """Seconds left of the bearer token this request was authenticated with (None: an
    API key, which does not expire)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    # Already checked by `current_principal`; read again for its expiry alone.
    try:
        expires_at = read_token(settings, token, "access").expires_at
    except InvalidToken:
        return 0.0  # expired since it was checked: the stream ends at once
    return (expires_at - utcnow()).total_seconds()
