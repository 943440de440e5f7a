"""Store drivers' failures, translated at the adapter edge into `core.errors.StoreUnavailable`.

Each adapter names the errors of its driver that mean "cannot reach the server" and
wraps its public calls, so nothing above stores/ knows which driver is underneath.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from core.errors import StoreUnavailable

P = ParamSpec("P")
T = TypeVar("T")

Errors = tuple[type[BaseException], ...]


@contextmanager
def unavailable_on(store: str, errors: Errors) -> Iterator[None]:
    """Inside the block, any of `errors` becomes StoreUnavailable(store)."""
    try:
        yield
    except errors as exc:
        raise StoreUnavailable(store, exc) from exc


def translated(
    store: str, errors: Errors
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate an adapter's coroutine so `errors` leave it as StoreUnavailable(store)."""

    def decorate(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(call)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            with unavailable_on(store, errors):
                return await call(*args, **kwargs)

        return wrapper

    return decorate
