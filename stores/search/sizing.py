"""How many shards and replicas a new index gets (SEARCH_SHARDS, SEARCH_REPLICAS)."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings


@dataclass(frozen=True, slots=True)
class IndexSizing:
    shards: int = 1
    replicas: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexSizing:
        return cls(shards=settings.search_shards, replicas=settings.search_replicas)

    def settings(self) -> dict[str, int]:
        """The index settings that say so, for an index's creation body."""
        return {"number_of_shards": self.shards, "number_of_replicas": self.replicas}
