"""Saved-search command handlers: kept in Postgres, their queries in the percolator."""

from __future__ import annotations

from collections.abc import Sequence

from agents.context import Applied, BatchHandler, HandlerContext, Result, new_event
from agents.handling import each_command, insert_created, parse_payload
from agents.search_indexer.alerts import WATCHED
from core.clock import utcnow
from core.errors import InvalidCommand, NotFound
from domain.query_syntax import Node, QuerySyntaxError, parse_query
from stores.postgres.database import Connection
from stores.postgres.saved_searches import SAVED_SEARCHES, delete_saved_search
from stores.search.query_dsl import FIELDS, CandidateFilters
from topics.envelopes import CommandEnvelope
from topics.saved_searches import (
    SAVED_SEARCH_CREATE,
    SAVED_SEARCH_CREATED,
    SAVED_SEARCH_DELETE,
    SAVED_SEARCH_DELETED,
    SavedSearchCreate,
    SavedSearchDelete,
    SavedSearchFilters,
    SavedSearchSnapshot,
)


def stored_search(q: str, filters: SavedSearchFilters) -> tuple[Node | None, CandidateFilters]:
    """The query tree and filters a saved search keeps; raises InvalidCommand for a bad `q`."""
    try:
        tree = parse_query(q, FIELDS)
    except QuerySyntaxError as exc:
        raise InvalidCommand(f"q: {exc}", field="q", position=exc.position + 1) from None
    narrowing = CandidateFilters(
        skills_all=filters.skills,
        skills_any=filters.skills_any,
        city=filters.city,
        country=filters.country,
        remote=filters.remote,
        available_before=filters.available_before,
        rate_min=filters.rate_min,
        rate_max=filters.rate_max,
        salary_min=filters.salary_min,
        salary_max=filters.salary_max,
        currency=filters.currency,
        statuses=filters.status,
        tags=filters.tags,
    )
    return tree, narrowing


async def create_saved_searches(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(SavedSearchCreate, command)
        tree, filters = stored_search(payload.q, payload.filters)
        now = utcnow()
        snapshot = SavedSearchSnapshot(
            **payload.model_dump(exclude={"saved_search_id"}),
            id=payload.saved_search_id,
            tenant_id=command.tenant_id,
            owner=command.actor.label,
            version=1,
            created_at=now,
            updated_at=now,
        )
        row = {**snapshot.model_dump(), "filters": snapshot.filters.model_dump(mode="json")}
        applied = await insert_created(
            conn, SAVED_SEARCHES, command, SAVED_SEARCH_CREATED, snapshot, row
        )
        if snapshot.alerts:
            WATCHED.invalidate()
            await ctx.stores.start()
            await ctx.stores.search.put_saved_search(
                saved_search_id=snapshot.id,
                tenant_id=command.tenant_id,
                owner=snapshot.owner,
                name=snapshot.name,
                tree=tree,
                filters=filters,
            )
        return applied

    return await each_command(commands, conn, apply)


async def delete_saved_searches(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(SavedSearchDelete, command)
        found = await SAVED_SEARCHES.get(
            conn, command.tenant_id, payload.saved_search_id, lock=True
        )
        # Saved searches are their owner's: anyone else's is not found.
        if found is None or found["owner"] != command.actor.label:
            raise NotFound(f"no saved search {payload.saved_search_id} of yours")
        await delete_saved_search(conn, command.tenant_id, found["id"])
        await ctx.stores.start()
        await ctx.stores.search.delete_saved_search(found["id"])
        data = {"id": str(found["id"]), "tenant_id": str(command.tenant_id)}
        event = new_event(
            command,
            type=SAVED_SEARCH_DELETED,
            aggregate_id=found["id"],
            version=found["version"] + 1,
            data=data,
        )
        return Applied(found["id"], [event], resource=data)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    SAVED_SEARCH_CREATE: create_saved_searches,
    SAVED_SEARCH_DELETE: delete_saved_searches,
}
