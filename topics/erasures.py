"""The erasure register: what each erasure leaves behind so that it outlives the database.

Every `*.erased` event is copied, as one small record, to the compacted erasures topic
(topics/names.py `ERASURES`), keyed by agency, kind and id so a second erasure of the same
person replaces the first. The record holds ids and a time, nothing that identifies a
person by itself. After a restore from a backup older than some erasures,
`refactortrack erasures reapply` reads the register and sends each erasure's command
again for whoever the restored database still holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from topics.candidates import CANDIDATE_ERASE, CANDIDATE_ERASED
from topics.clients import CONTACT_ERASE, CONTACT_ERASED
from topics.envelopes import EventEnvelope
from topics.names import CANDIDATE_COMMANDS, CLIENT_COMMANDS, TopicSpec

Kind = Literal["candidate", "contact"]


class ErasureRecord(BaseModel):
    """One erased person, as the register keeps them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Kind
    tenant_id: UUID
    id: UUID
    erased_at: datetime
    # A contact's erase command names its client too.
    client_id: UUID | None = None

    @property
    def key(self) -> bytes:
        return f"{self.tenant_id}:{self.kind}:{self.id}".encode()

    def erase_command(self) -> tuple[TopicSpec, str, UUID, dict[str, str]]:
        """The topic, type, key and payload of the command that erases this person."""
        if self.kind == "candidate":
            return CANDIDATE_COMMANDS, CANDIDATE_ERASE, self.id, {"candidate_id": str(self.id)}
        if self.client_id is None:
            raise ValueError(f"the register's record of contact {self.id} has no client_id")
        payload = {"contact_id": str(self.id), "client_id": str(self.client_id)}
        # Contacts' commands are keyed by their client (the client's aggregate orders them).
        return CLIENT_COMMANDS, CONTACT_ERASE, self.client_id, payload


def record_of(event: EventEnvelope) -> ErasureRecord | None:
    """The register's record of an erasure event; None for any other event."""
    if event.type == CANDIDATE_ERASED:
        return ErasureRecord(
            kind="candidate",
            tenant_id=event.tenant_id,
            id=event.aggregate_id,
            erased_at=event.occurred_at,
        )
    if event.type == CONTACT_ERASED:
        client_id = event.data.get("client_id")
        return ErasureRecord(
            kind="contact",
            tenant_id=event.tenant_id,
            id=event.aggregate_id,
            erased_at=event.occurred_at,
            client_id=UUID(str(client_id)) if client_id else None,
        )
    return None
