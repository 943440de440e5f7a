"""Small pieces every domain's handlers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.context import Applied, Result
from core.errors import RTError
from core.errors import invalid_from
from topics.envelopes import CommandEnvelope

M = TypeVar("M", bound=BaseModel)


def parse_payload(model: type[M], command: CommandEnvelope) -> M:
    """The command's payload as `model`, or the 422 that says which fields are wrong."""
    try:
        return model.model_validate(command.payload)
    except ValidationError as exc:
        raise invalid_from(exc) from None


async def each_command(
    commands: Sequence[CommandEnvelope],
    conn: AsyncConnection,
    apply: Callable[[CommandEnvelope], Awaitable[Applied]],
) -> list[Result]:
    """Apply commands one after another in the caller's transaction; a rule's error is a result.

    Each command runs in a savepoint, so one that breaks a rule halfway leaves nothing
    behind while the others in the transaction stand.
    """
    results: list[Result] = []
    for command in commands:
        try:
            async with conn.begin_nested():
                results.append(await apply(command))
        except RTError as error:
            results.append(error)
    return results
