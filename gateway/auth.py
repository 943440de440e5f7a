"""JWT access and refresh tokens, and the caller's identity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

import jwt

from core.clock import utcnow
from core.settings import Settings
from domain.permissions import can_write

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Principal:
    id: UUID
    tenant_id: UUID
    role: str
    username: str
    kind: Literal["user", "api_key"] = "user"

    @property
    def can_write(self) -> bool:
        return can_write(self.role)


class InvalidToken(Exception):
    pass


def issue_token(
    settings: Settings, principal: Principal, kind: Literal["access", "refresh"]
) -> tuple[str, int]:
    ttl = settings.jwt_expiry_seconds if kind == "access" else settings.jwt_refresh_expiry_seconds
    now = utcnow()
    claims = {
        "sub": str(principal.id),
        "tid": str(principal.tenant_id),
        "role": principal.role,
        "name": principal.username,
        "typ": kind,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), ttl


def read_token(settings: Settings, token: str, kind: Literal["access", "refresh"]) -> Principal:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "tid", "exp", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    if claims.get("typ") != kind:
        raise InvalidToken(f"a {kind} token is required")
    try:
        return Principal(
            id=UUID(claims["sub"]),
            tenant_id=UUID(claims["tid"]),
            role=str(claims.get("role", "viewer")),
            username=str(claims.get("name", "")),
        )
    except (ValueError, KeyError):
        raise InvalidToken("the token's claims are malformed") from None
