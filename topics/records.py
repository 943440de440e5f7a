"""Base classes for payload records."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Record(BaseModel):
    """A payload record: unknown fields are an error the sender must hear about."""

    model_config = ConfigDict(extra="forbid")


class Patch(Record):
    """A JSON merge patch: fields sent replace, `null` clears; `required` ones cannot be."""

    required: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> Patch:
        cleared = sorted(
            f for f in self.required & self.model_fields_set if getattr(self, f) is None
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
