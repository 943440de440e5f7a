"""FastAPI dependencies, as `Annotated` aliases the routes use."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.apikeys import secret_matches, split_key
from core.logging import TENANT_ID
from core.settings import Settings
from domain.permissions import Permission, require
from gateway.addresses import client_address
from gateway.auth import InvalidToken, Principal
from gateway.commands import CommandBus
from gateway.ratelimit import charge
from gateway.state import GatewayState
from stores.bundle import Stores
from stores.postgres.api_keys import get_active_key, touch

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/token")
_api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An integration's key from `refactortrack apikeys create`",
)


async def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


async def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


async def get_stores(state: StateDep) -> Stores:
    return state.stores


async def get_bus(state: StateDep) -> CommandBus:
    return state.bus


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoresDep = Annotated[Stores, Depends(get_stores)]
BusDep = Annotated[CommandBus, Depends(get_bus)]


async def _api_key_principal(state: GatewayState, key: str) -> Principal:
    parts = split_key(key)
    row = None
    if parts is not None:
        async with state.stores.db.lookup() as conn:
            row = await get_active_key(conn, parts[0])
    if parts is None or row is None or not secret_matches(parts[1], row["secret_hash"]):
        raise HTTPException(401, "The API key is unknown, revoked or expired.")
    if row["tenant_suspended"]:
        raise HTTPException(401, "The agency is suspended.")
    if state.identities.note_key_use(row["id"]):
        async with state.stores.db.transaction() as conn:
            await touch(conn, row["id"])
    return Principal(
        id=row["id"],
        tenant_id=row["tenant_id"],
        role=row["role"],
        username=row["name"],
        kind="api_key",
        scopes=frozenset(row["scopes"]) if row["scopes"] is not None else None,
    )


async def current_principal(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    if credentials is not None:
        try:
            token = state.tokens.read(credentials.credentials)
            principal = await state.identities.confirm(token)
        except InvalidToken as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    elif api_key is not None:
        principal = await _api_key_principal(state, api_key)
    else:
        raise HTTPException(
            401,
            "Send `Authorization: Bearer <access token>` (users) or `X-API-Key` (integrations).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await charge(
        request, state.settings, state.rate_limits, str(principal.id), str(principal.tenant_id)
    )
    TENANT_ID.set(str(principal.tenant_id))
    # What the caller does is recorded with where they did it from (audit log, commands).
    return replace(principal, address=client_address(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allow(permission: Permission) -> Any:
    """The caller, when their role (and an integration's scopes) allow `permission`; else 403.

    Every route declares one: `principal: Annotated[Principal, allow("candidates:write")]`.
    """

    async def permitted(principal: CurrentPrincipal) -> Principal:
        require(principal.role, permission, principal.scopes)
        return principal

    permitted.permission = permission  # type: ignore[attr-defined]  # read by the route tests
    return Depends(permitted)


PreferHeader = Annotated[
    str | None,
    Header(description="`respond-async` answers 202 at once with the command's status URL."),
]
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a request safely: the same key within 24 h applies once (and "
        "answers as the first time); the same key with another request is refused (422).",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        description='The `ETag` you last read (`"3"`, or `*`): the change is refused (412) '
        "if it moved on; anything else is a 400",
        # Checked by `expected_version` (a 400 naming the header), told to the document here.
        json_schema_extra={"pattern": r'^\s*(\*|(W/)?"[0-9]+")?\s*$'},
    ),
]
