"""Webhooks' rules: what a webhook may subscribe to and point at, how a delivery is signed
(the Standard Webhooks scheme), and when a failed attempt is tried again.

Pure functions: the resolving, the sending and the rows are elsewhere (stores/
webhook_targets.py, agents/webhooks/, stores/postgres/webhooks.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_URL_LENGTH = 2000
MAX_SUBSCRIPTIONS = 50

WebhookStatus = Literal["active", "disabled"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
DisabledReason = Literal["deliveries_failing", "disabled_by_admin"]

# --- what a webhook follows ---------------------------------------------------------


def subscription_matches(pattern: str, event_type: str) -> bool:
    """`*` is every event; `submission.*` every type under `submission.`; else exact."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def follows(patterns: Iterable[str], event_type: str) -> bool:
    return any(subscription_matches(p, event_type) for p in patterns)


def unknown_subscriptions(patterns: Iterable[str], known: Iterable[str]) -> list[str]:
    """The patterns that match no known event type (a typo would never be delivered)."""
    types = list(known)
    return [p for p in patterns if not any(subscription_matches(p, t) for t in types)]


# --- where it may point ---------------------------------------------------------------


class BadTarget(ValueError):
    """A URL a webhook may not use; the message says why."""


@dataclass(frozen=True, slots=True)
class TargetURL:
    scheme: Literal["http", "https"]
    host: str
    port: int


def parse_target(url: str) -> TargetURL:
    """The parts of a webhook URL that are sent to; BadTarget unless it is an absolute
    http(s) URL with a host and no credentials in it."""
    if len(url) > MAX_URL_LENGTH:
        raise BadTarget(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadTarget(f"the URL does not parse ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise BadTarget("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise BadTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        # The URL is shown to every admin and kept in logs: a secret belongs elsewhere.
        raise BadTarget("the URL may not carry a user name or password")
    if any(c.isspace() for c in url):
        raise BadTarget("the URL may not contain spaces")
    scheme: Literal["http", "https"] = "https" if parts.scheme == "https" else "http"
    return TargetURL(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))


def is_public_address(address: str) -> bool:
    """Whether an IP address is one on the public internet: not private, loopback,
    link-local (cloud metadata lives there), multicast, reserved or unspecified, nor an
    IPv4 one hidden in IPv6 (mapped, 6to4) that is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
    return bool(ip.is_global) and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


# --- signing ---------------------------------------------------------------------------


def new_secret() -> str:
    """`whsec_` and the base64 of random bytes: shown once, kept sealed."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret: the part after the prefix, base64-decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")): `webhook-signature`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- retrying ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    base_seconds: float
    cap_seconds: float
    period_seconds: float

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: base·2^(n-1), capped,
        with jitter (between half and all of it) so receivers that come back are not met
        by every sender at once."""
        exponent = min(max(attempts - 1, 0), 60)
        full: float = min(self.cap_seconds, self.base_seconds * 2.0**exponent)
        jitter: float = (rng or random).random()
        return full * (0.5 + 0.5 * jitter)

    def next_attempt(
        self, attempts: int, now: datetime, period_started_at: datetime
    ) -> datetime | None:
        """When to try again after `attempts` failures, or None: the period is over.

        The last attempt is made at the period's end, not before it, so a delivery is
        given up only once it has failed for the whole period."""
        end = period_started_at + timedelta(seconds=self.period_seconds)
        if now >= end:
            return None
        return min(now + timedelta(seconds=self.delay(attempts)), end)


def is_retryable(status_code: int | None) -> bool:
    """Whether a failed attempt is tried again: no answer (a timeout, a refused or broken
    connection), 408, 429, a redirect (never followed) or a 5xx. Any other 4xx says the
    receiver will not take this delivery: it fails at once."""
    if status_code is None:
        return True
    return status_code in (408, 429) or status_code >= 500 or 300 <= status_code < 400


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300
