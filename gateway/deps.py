"""FastAPI dependencies, as `Annotated` aliases the routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.settings import Settings
from gateway.auth import InvalidToken, Principal, read_token
from gateway.commands import CommandBus
from gateway.ratelimit import hit
from gateway.state import GatewayState
from stores.bundle import Stores

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/token")


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


async def current_principal(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401,
            "Send `Authorization: Bearer <access token>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        principal = read_token(state.settings, credentials.credentials, "access")
    except InvalidToken as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    await hit(
        state.stores.redis,
        f"caller:{principal.id}",
        state.settings.rate_limit_per_minute,
        "requests",
    )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def writer_principal(principal: CurrentPrincipal) -> Principal:
    if not principal.can_write:
        raise HTTPException(403, f"The role '{principal.role}' may read but not write.")
    return principal


Writer = Annotated[Principal, Depends(writer_principal)]
