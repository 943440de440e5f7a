"""Which applied resources ride on the outcome's announcement (agents/processor.py): only
the event whose data is the resource, and only with no personal field in the clear."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from agents.context import Applied, Result
from agents.processor import _announceable, _sealed_all
from core.clock import utcnow
from core.errors import Conflict
from topics import personal
from topics.envelopes import Actor, EventEnvelope
from topics.sealing import seal_fields

KEY = os.urandom(32)


def _event(type: str, data: dict[str, Any], subject: uuid.UUID | None) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type=type,
        tenant_id=uuid.uuid4(),
        aggregate_id=subject or uuid.uuid4(),
        version=1,
        occurred_at=utcnow(),
        caused_by=uuid.uuid4(),
        actor=Actor(id="u"),
        data=data,
        subject_id=subject,
    )


class _Sealer:
    """Seals as the real one does, with one key; `off` stands for sealing switched off."""

    def __init__(self, off: bool = False) -> None:
        self.off = off

    async def seal_events(self, events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        if self.off:
            return list(events)
        out = []
        for e in events:
            spec = personal.EVENTS.get(e.type)
            if spec is None or e.subject_id is None:
                out.append(e)
                continue
            data = seal_fields(e.data, spec.paths, KEY, e.tenant_id, e.subject_id)
            out.append(e.model_copy(update={"data": data}))
        return out


def _created(first_name: str = "Ada") -> tuple[Applied, EventEnvelope]:
    cid = uuid.uuid4()
    event = _event("candidate.created", {"id": str(cid), "first_name": first_name}, cid)
    return Applied(cid, [event], resource=event.data), event


def test_a_sealed_event_or_one_with_no_personal_fields_may_be_announced() -> None:
    cid = uuid.uuid4()
    sealed = seal_fields({"first_name": "Ada"}, ("first_name",), KEY, uuid.uuid4(), cid)
    assert _announceable(_event("candidate.created", sealed, cid))
    assert _announceable(_event("requisition.created", {"title": "Engineer"}, None))
    # Personal fields in the clear (sealing off), or no subject to seal them with: never.
    assert not _announceable(_event("candidate.created", {"first_name": "Ada"}, cid))
    assert not _announceable(_event("candidate.created", sealed, None))


async def test_the_carrier_is_the_sealed_event_whose_data_is_the_resource() -> None:
    created, _ = _created()
    elsewhere = _event("requisition.created", {"title": "Engineer"}, None)
    # A resource that is not its event's data (built apart) has no carrier.
    apart = Applied(uuid.uuid4(), [elsewhere], resource={"title": "Engineer"})
    results: list[Result] = [created, Conflict("taken"), apart]
    sealed, carriers = await _sealed_all(_Sealer(), results)  # type: ignore[arg-type]
    assert list(carriers) == [0]
    carrier = carriers[0]
    assert isinstance(sealed[0], Applied)
    assert carrier is sealed[0].events[0]
    assert carrier.data["first_name"].startswith("rt1:")
    assert sealed[0].resource == {"id": str(created.resource_id), "first_name": "Ada"}


async def test_with_sealing_off_nothing_personal_is_announced() -> None:
    created, _ = _created()
    _, carriers = await _sealed_all(_Sealer(off=True), [created])  # type: ignore[arg-type]
    assert carriers == {}
