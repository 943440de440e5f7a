"""Opaque cursors: base64url JSON the client hands back unchanged."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from core import jsoncodec
from core.errors import RTError


class BadCursor(RTError):
    code = "bad_cursor"
    status = 400
    title = "Bad cursor"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(jsoncodec.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = jsoncodec.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise BadCursor(
            "`cursor` is not one this API issued; pass `next_cursor` unchanged"
        ) from None
    if not isinstance(values, list):
        raise BadCursor("`cursor` is not one this API issued; pass `next_cursor` unchanged")
    return values


def decode_page_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (created_at, id) a newest-first page resumes after."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(values[0]), UUID(values[1])
    except (ValueError, IndexError, TypeError):
        raise BadCursor(
            "`cursor` is not one this API issued; pass `next_cursor` unchanged"
        ) from None


def next_page_cursor(items: Sequence[Any], limit: int) -> str | None:
    """The cursor after a full page of items with `created_at` and `id`, else None."""
    if len(items) < limit:
        return None
    last = items[-1]
    return encode_cursor([last.created_at.isoformat(), str(last.id)])
