"""What a delivery's body says: `{type, timestamp, data}`, `data` the event's envelope.

An event's personal fields travel sealed with the person's key (topics/personal.py), and
a delivery keeps the event as it was on its topic, sealed. They are opened when the
delivery is sent, each attempt anew, with the person's key read then: a person erased
before an attempt is delivered without their personal fields (null), as the key that
opened them is gone. The body
carries nothing the event did not: no more than an integration reading the agency's
event topic sees.
"""

from __future__ import annotations

from typing import Any

import orjson

from stores.sealing import Sealer
from topics.envelopes import EventEnvelope


async def delivery_body(sealer: Sealer, event: dict[str, Any]) -> bytes:
    envelope = EventEnvelope.model_validate(event)
    # The person's key is read afresh, not from the process's cache (KEY_CACHE_SECONDS):
    # an attempt after the erasure committed finds no key. The subject is the envelope's,
    # or for a person's own record its aggregate; forgetting a non-person id costs nothing.
    sealer.keys.forget(
        envelope.tenant_id, [i for i in (envelope.subject_id, envelope.aggregate_id) if i]
    )
    [opened] = await sealer.open_events([envelope], keep_erased=True)
    # Whose key sealed it is the system's business, not the receiver's.
    data = opened.model_dump(mode="json", exclude={"subject_id"})
    return orjson.dumps({"type": opened.type, "timestamp": data["occurred_at"], "data": data})
