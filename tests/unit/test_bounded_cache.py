"""The per-process caches keyed by ids keep a bounded number of entries, each for a
bounded time, so a worker's memory does not grow with the data it has seen."""

from __future__ import annotations

import pytest

from core.bounded_cache import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_never_holds_more_than_its_bound() -> None:
    cache: BoundedCache[int, str] = BoundedCache(100, ttl=60)
    for i in range(1_000_000):
        cache.put(i, "x")
    assert len(cache) == 100
    assert cache.get(999_999) == "x"
    assert cache.get(0) is None


def test_the_least_recently_used_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2, ttl=60)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)


def test_an_entry_is_forgotten_after_its_ttl() -> None:
    clock = Clock()
    cache: BoundedCache[str, int] = BoundedCache(10, ttl=5, clock=clock)
    cache.put("a", 1)
    clock.now = 4.9
    assert cache.get("a") == 1
    clock.now = 5.0
    assert cache.get("a") is None
    assert len(cache) == 0


def test_pop_forgets_at_once() -> None:
    cache: BoundedCache[str, int] = BoundedCache(10, ttl=5)
    cache.put("a", 1)
    cache.pop("a")
    cache.pop("never there")
    assert cache.get("a") is None


def test_refuses_a_cache_without_room() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        BoundedCache(0, ttl=1)


def test_the_bounds_are_settings() -> None:
    from core.settings import Settings

    settings = Settings(KEY_CACHE_SIZE=123, INTEGRATION_CACHE_SIZE=45)  # type: ignore[call-arg]
    assert (settings.key_cache_size, settings.integration_cache_size) == (123, 45)
