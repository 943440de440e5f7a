"""Opaque cursors: base64url JSON the client hands back unchanged."""

from __future__ import annotations

import base64
import binascii
from typing import Any

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
