"""schemathesis hooks for tests/e2e/test_openapi_conformance.py (SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

KEY = "Idempotency-Key"
MAX_KEY = 200


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Give each generated `Idempotency-Key` a suffix of its own.

    The same key sent again with another body is refused with 422, as the header's
    description says: that is the key's purpose, tested in tests/e2e/test_candidates.py.
    Generated keys repeat across generated bodies (the coverage phase tries "" and "0"
    for every operation), which would test only that.
    """
    headers = case.headers
    if not headers or KEY not in headers or not isinstance(headers[KEY], str):
        return
    key = headers[KEY]
    if len(key) <= MAX_KEY:  # a key past its length stays, to be refused as it is
        headers[KEY] = f"{key[: MAX_KEY - 33]}-{uuid.uuid4().hex}"
