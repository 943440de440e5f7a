"""Client companies (CRM) and their contacts: commands and events on the clients topics.

Contacts travel on the clients topics keyed by their client's id, so everything about one
client is applied in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from domain.types import NOT_BLANK, Fraction
from topics.records import Patch, Record

CLIENT_CREATE = "client.create"
CLIENT_UPDATE = "client.update"
CLIENT_CREATED = "client.created"
CLIENT_UPDATED = "client.updated"
CONTACT_CREATE = "contact.create"
CONTACT_UPDATE = "contact.update"
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CONTACT_ERASE = "contact.erase"
CONTACT_ERASED = "contact.erased"

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
ClientStatus = Literal["prospect", "active", "inactive"]
ContactRole = Literal["hiring_manager", "hr", "billing", "other"]


class ClientFields(Record):
    name: Text
    industry: Text | None = None
    status: ClientStatus = "prospect"
    default_fee_percent: Fraction | None = None
    payment_terms: Text | None = Field(default=None, description="e.g. 'net 30'")
    owner_id: UUID | None = Field(default=None, description="The account manager")


class ClientPatch(Patch):
    required: ClassVar[frozenset[str]] = frozenset({"name", "status"})
    name: Text | None = None
    industry: Text | None = None
    status: ClientStatus | None = None
    default_fee_percent: Fraction | None = None
    payment_terms: Text | None = None
    owner_id: UUID | None = None


class ClientCreate(ClientFields):
    client_id: UUID


class ClientUpdate(Record):
    client_id: UUID
    changes: ClientPatch


class ClientSnapshot(ClientFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    version: int
    created_at: datetime
    updated_at: datetime


class ContactFields(Record):
    first_name: Text
    last_name: Text
    title: Text | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    role: ContactRole = "other"


class ContactPatch(Patch):
    required: ClassVar[frozenset[str]] = frozenset({"first_name", "last_name", "role"})
    first_name: Text | None = None
    last_name: Text | None = None
    title: Text | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    role: ContactRole | None = None


class ContactCreate(ContactFields):
    contact_id: UUID
    client_id: UUID


class ContactUpdate(Record):
    contact_id: UUID
    client_id: UUID
    changes: ContactPatch


class ContactSnapshot(ContactFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    client_id: UUID
    version: int
    created_at: datetime
    updated_at: datetime


class ContactErase(Record):
    """Payload of `contact.erase` (GDPR): the person goes; the client keeps its history."""

    contact_id: UUID
    client_id: UUID


class ContactErased(Record):
    """The `data` of `contact.erased`: who was erased, when and by whom, nothing more."""

    id: UUID
    tenant_id: UUID
    client_id: UUID
    erased_at: datetime
    erased_by: str
