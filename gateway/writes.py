"""The shape every write route shares: submit the command, answer with its outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.auth import Principal
from gateway.commands import CommandBus
from gateway.queries.rows import get_one
from gateway.responses import outcome_response, wants_async
from stores.bundle import Stores
from stores.postgres.rows import Rows
from topics.names import TopicSpec

S = TypeVar("S", bound=BaseModel)


def row_loader(
    stores: Stores, rows: Rows, model: type[S], tenant_id: UUID
) -> Callable[[UUID], Awaitable[S]]:
    """Reads the resource a command applied, for outcomes that do not carry it."""

    async def load(resource_id: UUID) -> S:
        return await get_one(stores, rows, model, tenant_id, resource_id)

    return load


async def write(
    bus: CommandBus,
    principal: Principal,
    *,
    topic: TopicSpec,
    type: str,
    key: UUID,
    payload: dict[str, Any],
    fingerprint: Any,
    prefer: str | None,
    idempotency: str | None,
    load: Callable[[UUID], Awaitable[Any]],
    created_location: str | None = None,
    expected_version: int | None = None,
) -> JSONResponse:
    outcome = await bus.submit(
        principal,
        topic=topic,
        type=type,
        key=key,
        payload=payload,
        fingerprint=fingerprint,
        wait=not wants_async(prefer),
        idempotency=idempotency,
        expected_version=expected_version,
    )
    return await outcome_response(outcome, load, created_location=created_location)
