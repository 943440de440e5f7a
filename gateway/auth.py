"""JWT access and refresh tokens, and the caller's identity.

Tokens name their issuer and audience and are checked for both, so a token this
service issued for another purpose (or another service signed with a shared secret)
is refused. A refresh token also names its family (one login); see
stores/postgres/refresh_tokens.py for how families rotate and are revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import jwt

from core.bounded_cache import BoundedCache
from core.clock import utcnow
from core.settings import Settings
from domain.permissions import allowed

ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32

TokenKind = Literal["access", "refresh"]


@dataclass(frozen=True, slots=True)
class Principal:
    id: UUID
    tenant_id: UUID
    role: str
    username: str
    kind: Literal["user", "api_key"] = "user"
    scopes: frozenset[str] | None = None
    """An integration key's scopes (within its role); None for a person: the whole role."""
    address: str | None = None
    """The client's address for this request (gateway/addresses.py), for the audit log."""

    def may(self, permission: str) -> bool:
        return allowed(self.role, permission, self.scopes)


@dataclass(frozen=True, slots=True)
class Token:
    """What a valid token says."""

    principal: Principal
    token_id: UUID
    issued_at: datetime
    expires_at: datetime
    family_id: UUID | None = None
    """Refresh tokens only: the login this token descends from."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    text: str
    token_id: UUID
    issued_at: datetime
    expires_at: datetime

    @property
    def ttl(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())


class InvalidToken(Exception):
    pass


def check_secret(settings: Settings) -> None:
    """Refuse to serve without a signing secret nobody can guess."""
    if len(settings.jwt_secret) < MIN_SECRET_CHARS:
        raise RuntimeError(
            f"JWT_SECRET must be a random value of at least {MIN_SECRET_CHARS} characters "
            "(`make dev` and the local stack generate one into the state directory's "
            "secrets.env; elsewhere set it, e.g. `openssl rand -base64 48`)"
        )


def issue_token(
    settings: Settings,
    principal: Principal,
    kind: TokenKind,
    *,
    family_id: UUID | None = None,
) -> IssuedToken:
    ttl = settings.jwt_expiry_seconds if kind == "access" else settings.jwt_refresh_expiry_seconds
    # Milliseconds (JWT's NumericDate may have a fraction): a token issued in the same
    # second as a revocation, but after it, must stay good, and one before it must not.
    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    token_id = uuid.uuid4()
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(principal.id),
        "tid": str(principal.tenant_id),
        "role": principal.role,
        "name": principal.username,
        "typ": kind,
        "iat": round(now.timestamp(), 3),
        "exp": now + timedelta(seconds=ttl),
        "jti": token_id.hex,
    }
    if family_id is not None:
        claims["fam"] = family_id.hex
    text = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
    return IssuedToken(text, token_id, now, now + timedelta(seconds=ttl))


def read_token(settings: Settings, token: str, kind: TokenKind) -> Token:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["sub", "tid", "exp", "iat", "typ", "jti", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    if claims.get("typ") != kind:
        raise InvalidToken(f"a {kind} token is required")
    try:
        principal = Principal(
            id=UUID(claims["sub"]),
            tenant_id=UUID(claims["tid"]),
            role=str(claims.get("role", "viewer")),
            username=str(claims.get("name", "")),
        )
        family = claims.get("fam")
        return Token(
            principal=principal,
            token_id=UUID(claims["jti"]),
            issued_at=datetime.fromtimestamp(round(float(claims["iat"]), 3), tz=UTC),
            expires_at=datetime.fromtimestamp(float(claims["exp"]), tz=UTC),
            family_id=UUID(family) if family else None,
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("the token's claims are malformed") from None


class AccessTokens:
    """Access tokens this process has verified, by their text, until they expire.

    A token's signature, issuer, audience and claims never change, so each is verified
    once (HMAC and claims parsing: about a tenth of the gateway's auth per request) and
    only its expiry is checked again. What revokes a valid token is the user's standing,
    which every request still confirms (gateway/identity.py, within AUTH_RECHECK_SECONDS):
    caching the signature check changes nothing there. A token that fails verification is
    not kept: it fails again, at the full price, every time.
    """

    MAX_ENTRIES = 20_000
    """Distinct tokens kept (a few hundred bytes each): the callers of the last minutes."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._verified: BoundedCache[str, Token] = BoundedCache(
            self.MAX_ENTRIES, max(settings.jwt_expiry_seconds, 1)
        )

    def read(self, text: str) -> Token:
        token = self._verified.get(text)
        if token is None:
            token = read_token(self._settings, text, "access")
            self._verified.put(text, token)
        elif token.expires_at <= utcnow():
            # What PyJWT answers for it (no leeway): expired at `exp`.
            raise InvalidToken("the token has expired")
        return token
