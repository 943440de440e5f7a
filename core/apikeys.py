"""API keys: `rtk_<prefix>_<secret>`; the prefix finds the key, the secret proves it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID, uuid4

KEY_SCHEME = "rtk"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: UUID
    prefix: str
    secret_hash: str
    plaintext: str


def issue_key() -> IssuedKey:
    prefix = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(uuid4(), prefix, hash_secret(secret), f"{KEY_SCHEME}_{prefix}_{secret}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    scheme, _, rest = key.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != 16 or not secret:
        return None
    return prefix, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
