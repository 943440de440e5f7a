"""Tokens for users; `GET /me`."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from core.errors import field_errors
from core.passwords import verify_password
from gateway.auth import InvalidToken, Principal, issue_token, read_token
from gateway.deps import CurrentPrincipal, SettingsDep, StoresDep
from gateway.problems import problem
from gateway.ratelimit import hit
from stores.postgres import users as users_repo

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=500)


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


def _pair(settings: SettingsDep, principal: Principal) -> TokenPair:
    access, ttl = issue_token(settings, principal, "access")
    refresh, _ = issue_token(settings, principal, "refresh")
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl)


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
        "password form) for an access token and a refresh token."
    ),
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many login attempts for this user; see Retry-After"},
    },
)
async def issue(request: Request, settings: SettingsDep, stores: StoresDep) -> TokenPair | object:
    try:
        credentials = await _read_credentials(request)
    except _CredentialsShape as exc:
        return problem(422, "Send `username` and `password`.", code="invalid", errors=exc.errors)
    await hit(
        stores.redis,
        f"login:{credentials.username.lower()}",
        settings.login_attempts_per_minute,
        "login attempts for this user",
    )
    async with stores.db.read() as conn:
        user = await users_repo.get_user_by_username(conn, credentials.username)
    if (
        user is None
        or not user["is_active"]
        or not verify_password(credentials.password, user["password_hash"])
    ):
        raise HTTPException(
            401, "Wrong username or password.", headers={"WWW-Authenticate": "Bearer"}
        )
    return _pair(settings, _principal(user))


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    summary="Refresh tokens",
    description="Exchange a refresh token for a new access token and refresh token.",
)
async def refresh(body: RefreshRequest, settings: SettingsDep, stores: StoresDep) -> TokenPair:
    try:
        principal = read_token(settings, body.refresh_token, "refresh")
    except InvalidToken as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    async with stores.db.read() as conn:
        user = await users_repo.get_user(conn, principal.id)
    if user is None or not user["is_active"]:
        raise HTTPException(401, "The user no longer exists or is disabled.")
    return _pair(settings, _principal(user))


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I",
    description="The caller's identity as the access token states it.",
)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        id=principal.id,
        tenant_id=principal.tenant_id,
        username=principal.username,
        role=principal.role,
    )
