"""Tokens for users (log in, refresh with rotation); `GET /me`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.background import BackgroundTask

from core.clock import utcnow
from core.errors import field_errors
from core.passwords import dummy_verify, verify_password
from core.settings import Settings
from gateway import examples
from gateway.addresses import client_address
from gateway.audit_trail import record_login
from gateway.auth import InvalidToken, Principal, issue_token, read_token
from gateway.deps import CurrentPrincipal, StateDep
from gateway.error_responses import problems
from gateway.openapi import found
from gateway.problems import ProblemResponse, problem
from stores.bundle import Stores
from stores.postgres import refresh_tokens
from stores.postgres import users as users_repo
from stores.postgres.refresh_tokens import Spent

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=500)


# Without `title`s, as FastAPI writes a schema (the request body is documented by hand).
CREDENTIALS_SCHEMA = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 150},
        "password": {"type": "string", "minLength": 1, "maxLength": 500},
    },
}


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    id: UUID
    tenant_id: UUID
    username: str
    role: str


def _principal(user: dict[str, Any]) -> Principal:
    return Principal(
        id=user["id"], tenant_id=user["tenant_id"], role=user["role"], username=user["username"]
    )


async def _pair(
    settings: Settings,
    stores: Stores,
    principal: Principal,
    family_id: UUID,
    *,
    login_from: str | None = None,
) -> TokenPair:
    """An access token, and the next refresh token of the family, recorded to be spent once.

    `login_from`: this pair answers a login from that address, recorded in the audit log
    in the same transaction as the refresh token.
    """
    access = issue_token(settings, principal, "access")
    refresh = issue_token(settings, principal, "refresh", family_id=family_id)
    async with stores.db.transaction() as conn:
        await refresh_tokens.record(
            conn,
            token_id=refresh.token_id,
            family_id=family_id,
            user_id=principal.id,
            issued_at=refresh.issued_at,
            expires_at=refresh.expires_at,
        )
        if login_from is not None:
            await record_login(conn, principal.tenant_id, principal.id, login_from)
    return TokenPair(access_token=access.text, refresh_token=refresh.text, expires_in=access.ttl)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _record_failed_login(
    stores: Stores, user: dict[str, Any], address: str, reason: str
) -> None:
    try:
        async with stores.db.transaction() as conn:
            await record_login(conn, user["tenant_id"], user["id"], address, failed=reason)
    except Exception as exc:
        # The answer is already sent; the brake has counted the failure either way.
        log.warning("a failed login of user %s was not audited: %r", user["id"], exc)


def _refused_login(
    stores: Stores, detail: str, user: dict[str, Any] | None, address: str, reason: str
) -> ProblemResponse:
    """401 for a login refused; an attempt on an existing account is audited after the
    answer is sent, so the time taken does not tell which usernames exist."""
    response = problem(401, detail, headers={"WWW-Authenticate": "Bearer"})
    if user is not None:
        response.background = BackgroundTask(_record_failed_login, stores, user, address, reason)
    return response


class _CredentialsShape(Exception):
    """The credentials were not a username and a password."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors


async def _read_credentials(request: Request) -> TokenRequest:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            return TokenRequest.model_validate(
                {"username": form.get("username"), "password": form.get("password")}
            )
        return TokenRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _CredentialsShape(field_errors(exc)) from None


@router.post(
    "/auth/token",
    response_model=TokenPair,
    summary="Log in",
    description=(
        "Exchange a username and password (JSON `{username, password}` or the OAuth2 "
        "password form) for an access token and a refresh token. A login, and a refused "
        "attempt on an existing account, are recorded in the agency's audit log with the "
        "client's address (never the password)."
    ),
    # The body is read by hand (JSON or a form), so the document is told what it takes.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": CREDENTIALS_SCHEMA,
                    "example": examples.TOKEN_REQUEST,
                },
                "application/x-www-form-urlencoded": {"schema": CREDENTIALS_SCHEMA},
            },
        }
    },
    responses={
        200: found(examples.TOKEN_PAIR),
        **problems(
            {
                401: "Wrong username or password, a disabled user or a suspended agency",
                422: "No `username` and `password`, or not JSON or a form",
                429: "Too many failed logins for this user or from this address; wait the "
                "seconds in Retry-After (each further failure doubles the wait)",
            },
            413,
            503,
        ),
    },
)
async def issue(request: Request, state: StateDep) -> TokenPair | object:
    settings, stores = state.settings, state.stores
    try:
        credentials = await _read_credentials(request)
    except _CredentialsShape as exc:
        return problem(422, "Send `username` and `password`.", code="invalid", errors=exc.errors)
    address = client_address(request)
    await state.login_throttle.check(credentials.username, address)
    async with stores.db.read() as conn:
        user = await users_repo.get_user_by_username(conn, credentials.username)
    # The hash runs off the event loop, and as long for an unknown user as for a known
    # one, so the time taken does not tell which usernames exist.
    if user is None:
        await asyncio.to_thread(dummy_verify, credentials.password)
        right = False
    else:
        right = await asyncio.to_thread(
            verify_password, credentials.password, user["password_hash"]
        )
    if not right or user is None or not user["is_active"]:
        await state.login_throttle.failed(credentials.username, address)
        reason = "wrong_password" if not right else "user_disabled"
        return _refused_login(stores, "Wrong username or password.", user, address, reason)
    async with stores.db.read() as conn:
        if await users_repo.tenant_suspended(conn, user["tenant_id"]):
            return _refused_login(
                stores, "The agency is suspended.", user, address, "agency_suspended"
            )
    await state.login_throttle.succeeded(credentials.username)
    return await _pair(
        settings, stores, _principal(user), family_id=uuid.uuid4(), login_from=address
    )


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    summary="Refresh tokens",
    description=(
        "Exchange a refresh token for a new access token and a new refresh token. A refresh "
        "token works once: using it again (someone else holds a copy) revokes every token "
        "of that login, and both holders must log in again."
    ),
    responses={
        200: found(examples.TOKEN_PAIR),
        **problems({401: "Expired, revoked or already used refresh token"}, 503),
    },
)
async def refresh(body: RefreshRequest, state: StateDep) -> TokenPair:
    settings, stores = state.settings, state.stores
    try:
        token = read_token(settings, body.refresh_token, "refresh")
        if token.family_id is None:
            raise InvalidToken("the refresh token names no login; log in again")
        principal = await state.identities.confirm(token)
    except InvalidToken as exc:
        raise _unauthorized(str(exc)) from None
    async with stores.db.transaction() as conn:
        spent = await refresh_tokens.spend(conn, token.token_id, utcnow())
    if spent is Spent.REUSED:
        raise _unauthorized(
            "This refresh token was already used: every token of this login is revoked. "
            "Log in again."
        )
    if spent is not Spent.OK:
        raise _unauthorized("The refresh token is unknown or expired; log in again.")
    return await _pair(settings, stores, principal, token.family_id)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I",
    description="The caller's identity as the access token states it.",
    responses={200: found(examples.ME)},
)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        id=principal.id,
        tenant_id=principal.tenant_id,
        username=principal.username,
        role=principal.role,
    )
