"""Giving freed memory back to the operating system.

A worker applying a large import allocates and frees many short-lived objects (commands,
rows, events) in batches; CPython returns freed memory to the C allocator, and glibc's
malloc keeps it in its arenas rather than unmapping it, so the process's resident memory
stays at its high-water mark long after the batch is gone (issue 17: "grew ... and stayed
there"). `malloc_trim(0)` asks glibc to release the free pages of every arena; it takes a
few milliseconds and changes no live object. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") else None


def give_back_free_memory() -> bool:
    """Release the allocator's free pages to the OS; False where that is not possible."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
