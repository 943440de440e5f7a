"""A worker gives its allocator's free memory back to the OS after a large import."""

from __future__ import annotations

from core.allocator import give_back_free_memory


def test_freed_memory_can_be_given_back() -> None:
    """glibc's malloc_trim, or nothing where there is none: never an error."""
    blocks = [bytearray(4096) for _ in range(10_000)]
    del blocks
    assert give_back_free_memory() in (True, False)
