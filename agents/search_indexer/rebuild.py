"""`refactortrack reindex` for the two indexes besides the candidates': requisitions, and
the saved searches' percolator. Both are rewritten in place from Postgres, the store of
record: a requisition document per requisition, a stored query per saved search that
alerts. Writes are idempotent, so a rebuild can run beside the live indexer, and after a
restore it fills the empty indexes the stores' bootstrap made."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from uuid import UUID

from agents.saved_searches.handlers import stored_search
from stores.bundle import Stores
from stores.postgres.keyset import Window
from stores.postgres.requisitions import REQUISITIONS
from stores.postgres.rows import Row, Rows
from stores.postgres.saved_searches import SAVED_SEARCHES
from stores.postgres.users import tenant_ids
from stores.search.requisitions import requisition_document
from topics.requisitions import RequisitionSnapshot
from topics.saved_searches import SavedSearchSnapshot

PAGE = 500


async def _pages(stores: Stores, rows: Rows, tenant_id: UUID | None) -> AsyncIterator[list[Row]]:
    """Every row of the agency's (or of every agency's), a page at a time."""
    if tenant_id is not None:
        agencies = [tenant_id]
    else:
        async with stores.db.read() as conn:
            agencies = await tenant_ids(conn)
    for agency in agencies:
        window = Window(limit=PAGE)
        while True:
            async with stores.db.read() as conn:
                page = await rows.page(conn, agency, window)
            if page.rows:
                yield page.rows
            if page.next_after is None:
                break
            window = replace(window, after=page.next_after)


async def rebuild_requisitions(
    stores: Stores, tenant_id: UUID | None, advance: Callable[[int], None] = lambda n: None
) -> int:
    """Every requisition written again (as it is in Postgres, whatever the index held)."""
    done = 0
    async for page in _pages(stores, REQUISITIONS, tenant_id):
        docs = [
            requisition_document(RequisitionSnapshot.model_validate(r).model_dump(mode="json"))
            for r in page
        ]
        await stores.search.bulk_index_requisitions(docs, versioned=False)
        done += len(page)
        advance(len(page))
    return done


async def rebuild_saved_searches(
    stores: Stores, tenant_id: UUID | None, advance: Callable[[int], None] = lambda n: None
) -> int:
    """Every saved search that alerts, its query stored again in the percolator."""
    done = 0
    async for page in _pages(stores, SAVED_SEARCHES, tenant_id):
        for row in page:
            saved = SavedSearchSnapshot.model_validate(row)
            if not saved.alerts:
                continue
            tree, filters = stored_search(saved.q, saved.filters)
            await stores.search.put_saved_search(
                saved_search_id=saved.id,
                tenant_id=saved.tenant_id,
                owner=saved.owner,
                name=saved.name,
                tree=tree,
                filters=filters,
            )
            done += 1
        advance(len(page))
    return done
