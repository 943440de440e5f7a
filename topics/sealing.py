"""Sealing and opening the personal fields of a message, given the person's key.

Each value at a personal path (`topics/personal.py`) becomes `rt1:<base64>`: the JSON of
the value, sealed with AES-GCM under the person's key and bound to the agency, the person
and the path, so that a sealed value moved to another field or record does not open.
Opening reverses it; without the key (the person was erased) a personal value reads as
absent (`None`). A value that is not sealed is left as it is: messages from before
sealing, and empty fields.

Both return a new body and leave the one given untouched (containers along a path are
copied), since a handler's event data is often also the resource it answers with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson

from core.crypto import CannotOpen, is_sealed_text, open_text, seal_text

Transform = Callable[[Any, str], Any]


def context(tenant_id: UUID, subject_id: UUID, path: str) -> bytes:
    return f"rt/{tenant_id}/{subject_id}/{path}".encode()


def _walk(node: Any, parts: list[str], path: str, change: Transform) -> Any:
    """`node` with `change(value, path)` applied to every value the path names."""
    if not parts:
        return change(node, path)
    if not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    each = head.endswith("[]")
    name = head[:-2] if each else head
    if name not in node:
        return node
    here = f"{path}.{head}" if path else head
    new = dict(node)
    if not each:
        new[name] = _walk(node[name], rest, here, change)
    elif isinstance(node[name], list):
        new[name] = [_walk(item, rest, here, change) for item in node[name]]
    return new


def transform(body: dict[str, Any], paths: tuple[str, ...], change: Transform) -> dict[str, Any]:
    for path in paths:
        body = _walk(body, path.split("."), "", change)
    return body


def seal_fields(
    body: dict[str, Any], paths: tuple[str, ...], key: bytes, tenant_id: UUID, subject_id: UUID
) -> dict[str, Any]:
    """`body` with every non-empty personal value sealed."""

    def seal(value: Any, path: str) -> Any:
        if value is None or value == [] or value == "" or is_sealed_text(value):
            return value
        return seal_text(key, orjson.dumps(value).decode(), context(tenant_id, subject_id, path))

    return transform(body, paths, seal)


def open_fields(
    body: dict[str, Any],
    paths: tuple[str, ...],
    key: bytes | None,
    tenant_id: UUID,
    subject_id: UUID,
) -> tuple[dict[str, Any], bool]:
    """`body` with every sealed value opened, and whether all of them opened: without a
    key, or with one that does not open a value, that value becomes None."""
    whole = True

    def open_one(value: Any, path: str) -> Any:
        nonlocal whole
        if not is_sealed_text(value):
            return value
        if key is not None:
            try:
                return orjson.loads(open_text(key, value, context(tenant_id, subject_id, path)))
            except CannotOpen:
                pass
        whole = False
        return None

    return transform(body, paths, open_one), whole


def has_sealed(body: dict[str, Any], paths: tuple[str, ...]) -> bool:
    found = False

    def look(value: Any, _path: str) -> Any:
        nonlocal found
        found = found or is_sealed_text(value)
        return value

    transform(body, paths, look)
    return found
