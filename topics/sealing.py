"""Sealing and opening the personal fields of a message, given the person's key.

Each value at a personal path (`topics/personal.py`) becomes `rt1:<base64>`: the JSON of
the value, sealed with AES-GCM under the person's key and bound to the agency, the person
and the path, so that a sealed value moved to another field or record does not open.
Opening reverses it; without the key (the person was erased) a personal value reads as
absent (`None`). A value that is not sealed is left as it is: messages from before
sealing, and empty fields.

Both return a new body and leave the one given untouched (containers along a path are
copied), since a handler's event data is often also the resource it answers with.

A message type's paths are compiled once into a tree (`_plan`), so a body is walked and
its containers copied once for all its paths, not once per path; and a person's key is
set up once for all the values of a body (`PersonSeal`): an import seals and opens
thousands of bodies a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson

from core.crypto import CannotOpen, TextSealer, is_sealed_text

Transform = Callable[[Any, str], Any]


def context(tenant_id: UUID, subject_id: UUID, path: str) -> bytes:
    return f"rt/{tenant_id}/{subject_id}/{path}".encode()


@dataclass(frozen=True, slots=True)
class _Step:
    """One key of a body the paths go through: `name[]` (`each`) means every item of
    its list. A leaf (no `children`) is a personal value, at `path`."""

    name: str
    each: bool
    path: str
    children: tuple[_Step, ...]


def _steps(paths: list[list[str]], prefix: str) -> tuple[_Step, ...]:
    heads: dict[str, list[list[str]]] = {}
    for parts in paths:
        heads.setdefault(parts[0], []).append(parts[1:])
    steps = []
    for head, rests in heads.items():
        here = f"{prefix}.{head}" if prefix else head
        each = head.endswith("[]")
        name = head[:-2] if each else head
        children = _steps([r for r in rests if r], here) if any(rests) else ()
        steps.append(_Step(name, each, here, children))
    return tuple(steps)


@lru_cache(maxsize=512)
def _plan(paths: tuple[str, ...]) -> tuple[_Step, ...] | None:
    """The paths as one tree; None when one path ends where another goes on (`a` and
    `a.b`), which only the path-by-path walk below treats exactly as written."""
    split = [p.split(".") for p in paths]
    for i, parts in enumerate(split):
        for j, other in enumerate(split):
            if i != j and len(parts) < len(other) and other[: len(parts)] == parts:
                return None
    return _steps(split, "")


def _apply(node: Any, steps: tuple[_Step, ...], change: Transform) -> Any:
    if not isinstance(node, dict):
        return node
    new: dict[str, Any] | None = None
    for step in steps:
        if step.name not in node:
            continue
        value = node[step.name]
        if step.each:
            if not isinstance(value, list):
                continue
            if step.children:
                changed: Any = [_apply(item, step.children, change) for item in value]
            else:
                changed = [change(item, step.path) for item in value]
        elif step.children:
            changed = _apply(value, step.children, change)
        else:
            changed = change(value, step.path)
        if new is None:
            new = dict(node)
        new[step.name] = changed
    return node if new is None else new


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
    """`body` (a copy) with `change(value, path)` applied to every value the paths name."""
    plan = _plan(paths)
    if plan is None:
        out = dict(body)
        for path in paths:
            out = _walk(out, path.split("."), "", change)
        return out
    out = _apply(body, plan, change)
    return dict(body) if out is body else out


def _any_sealed(node: Any, steps: tuple[_Step, ...]) -> bool:
    if not isinstance(node, dict):
        return False
    for step in steps:
        if step.name not in node:
            continue
        value = node[step.name]
        if step.each:
            if not isinstance(value, list):
                continue
            items = value
        else:
            items = [value]
        for item in items:
            if _any_sealed(item, step.children) if step.children else is_sealed_text(item):
                return True
    return False


def has_sealed(body: dict[str, Any], paths: tuple[str, ...]) -> bool:
    plan = _plan(paths)
    if plan is not None:
        return _any_sealed(body, plan)
    found = False

    def look(value: Any, _path: str) -> Any:
        nonlocal found
        found = found or is_sealed_text(value)
        return value

    transform(body, paths, look)
    return found


class PersonSeal:
    """One person's key, bound to their agency and themselves: seals and opens the bodies
    of their messages, the cipher and the contexts' common part set up once."""

    __slots__ = ("_contexts", "_prefix", "_sealer")

    def __init__(self, key: bytes | None, tenant_id: UUID, subject_id: UUID) -> None:
        self._sealer = TextSealer(key) if key is not None else None
        self._prefix = f"rt/{tenant_id}/{subject_id}/"
        self._contexts: dict[str, bytes] = {}

    def _context(self, path: str) -> bytes:
        found = self._contexts.get(path)
        if found is None:
            found = self._contexts[path] = (self._prefix + path).encode()
        return found

    def seal(self, body: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
        """`body` with every non-empty personal value sealed."""
        sealer = self._sealer
        if sealer is None:
            raise ValueError("sealing needs the person's key")

        def seal(value: Any, path: str) -> Any:
            if value is None or value == [] or value == "" or is_sealed_text(value):
                return value
            return sealer.seal(orjson.dumps(value), self._context(path))

        return transform(body, paths, seal)

    def open(self, body: dict[str, Any], paths: tuple[str, ...]) -> tuple[dict[str, Any], bool]:
        """`body` with every sealed value opened, and whether all of them opened: without
        a key, or with one that does not open a value, that value becomes None."""
        whole = True
        sealer = self._sealer

        def open_one(value: Any, path: str) -> Any:
            nonlocal whole
            if not is_sealed_text(value):
                return value
            if sealer is not None:
                try:
                    return orjson.loads(sealer.open(value, self._context(path)))
                except CannotOpen:
                    pass
            whole = False
            return None

        return transform(body, paths, open_one), whole


def seal_fields(
    body: dict[str, Any], paths: tuple[str, ...], key: bytes, tenant_id: UUID, subject_id: UUID
) -> dict[str, Any]:
    """`body` with every non-empty personal value sealed."""
    return PersonSeal(key, tenant_id, subject_id).seal(body, paths)


def open_fields(
    body: dict[str, Any],
    paths: tuple[str, ...],
    key: bytes | None,
    tenant_id: UUID,
    subject_id: UUID,
) -> tuple[dict[str, Any], bool]:
    """`body` with every sealed value opened, and whether all of them opened: without a
    key, or with one that does not open a value, that value becomes None."""
    return PersonSeal(key, tenant_id, subject_id).open(body, paths)
