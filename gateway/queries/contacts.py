"""Client contacts as read: the row with its e-mail and phone opened (sealed at rest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from core.errors import NotFound
from gateway.queries.rows import Listed
from stores.bundle import Stores
from stores.postgres.clients import CONTACTS
from stores.postgres.keyset import Window
from topics.clients import ContactSnapshot


async def get_contact(stores: Stores, tenant_id: UUID, contact_id: UUID) -> ContactSnapshot:
    async with stores.db.read() as conn:
        row = await CONTACTS.get(conn, tenant_id, contact_id)
    if row is None:
        raise NotFound(f"no contact {contact_id}")
    (opened,) = await stores.at_rest.open_contacts([row])
    return ContactSnapshot.model_validate(opened)


async def client_contacts(
    stores: Stores, tenant_id: UUID, client_id: UUID, window: Window
) -> Listed[ContactSnapshot]:
    """A page of one client's contacts, their e-mails and phones opened."""
    async with stores.db.read() as conn:
        found = await CONTACTS.page(conn, tenant_id, window, client_id=client_id)
    opened = await stores.at_rest.open_contacts(found.rows)
    return Listed([ContactSnapshot.model_validate(r) for r in opened], found.next_after)


def contact_loader(stores: Stores, tenant_id: UUID) -> Callable[[UUID], Awaitable[ContactSnapshot]]:
    """Reads the contact a command applied, for the answer to the write."""

    async def load(contact_id: UUID) -> ContactSnapshot:
        return await get_contact(stores, tenant_id, contact_id)

    return load
