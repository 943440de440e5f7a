"""Topic names and their layout. Every domain has one command and one event topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    compacted: bool = False
    description: str = ""

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


CANDIDATE_COMMANDS = TopicSpec(
    "rt.candidates.commands", description="Commands for candidates, keyed by candidate id."
)
CANDIDATE_EVENTS = TopicSpec(
    "rt.candidates.events", description="Facts about candidates, keyed by candidate id."
)

COMMAND_TOPICS: tuple[TopicSpec, ...] = (CANDIDATE_COMMANDS,)
EVENT_TOPICS: tuple[TopicSpec, ...] = (CANDIDATE_EVENTS,)


def all_topic_names() -> list[str]:
    names: list[str] = []
    for spec in (*COMMAND_TOPICS, *EVENT_TOPICS):
        names.append(spec.name)
    names.extend(spec.dlq for spec in COMMAND_TOPICS)
    return names
