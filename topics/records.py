"""Base classes for payload records."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Record(BaseModel):
    """A payload record: unknown fields are an error the sender must hear about."""

    model_config = ConfigDict(extra="forbid")


def _required_not_nullable(schema: dict[str, Any], cls: type[Any]) -> None:
    """The JSON Schema of a patch says what its validator says: a `required` field may
    be left out, not sent as null."""
    for name in getattr(cls, "required", ()):
        field = schema.get("properties", {}).get(name)
        if not isinstance(field, dict) or "anyOf" not in field:
            continue
        branches = [b for b in field["anyOf"] if b != {"type": "null"}]
        field.pop("default", None)
        if len(branches) == 1:
            del field["anyOf"]
            field.update(branches[0])
        else:
            field["anyOf"] = branches


class Patch(Record):
    """A JSON merge patch: fields sent replace, `null` clears; `required` ones cannot be."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_required_not_nullable)

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
