"""The agency's retention policy: how long a candidate with no activity and no valid consent
is kept. Admins only.

The policy is the agency's configuration, not a record of the domain (like the analytics
limits): the route writes it to Postgres itself, where `refactortrack retention run`
reads it, and answers with what was stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Interval
from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from core.clock import utcnow
from domain.retention import MAX_INACTIVE_MONTHS, MIN_INACTIVE_MONTHS
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from stores.postgres import retention as repo

router = APIRouter(prefix="/retention-policy", tags=["retention"])

RULE = (
    "A candidate is due for erasure when their last activity is at least `inactive_months` "
    "calendar months ago, they have no valid consent (basis `consent`, given and not "
    "expired; `contract` and `legitimate_interest` do not hold a candidate back), they are "
    "in no open submission and have no active placement. Activity is the latest of: the "
    "candidate's last change, their submissions' stage moves, notes on them or their "
    "submissions, documents attached, interviews (a scheduled one counts at its time) and "
    "their feedback, and their placements' changes and end dates. `refactortrack retention "
    "run --tenant T [--dry-run]` lists and erases them."
)


def _whole(value: object) -> object:
    # JSON has one kind of number: 24.0 is the integer 24 (as JSON Schema's `integer`
    # says), while 24.5, "24" and true stay refused by the strict type.
    return int(value) if isinstance(value, float) and value.is_integer() else value


InactiveMonths = Annotated[
    Annotated[
        StrictInt,
        Interval(ge=MIN_INACTIVE_MONTHS, le=MAX_INACTIVE_MONTHS),
        BeforeValidator(_whole),
    ]
    | None,
    Field(
        description=f"Months ({MIN_INACTIVE_MONTHS}-{MAX_INACTIVE_MONTHS}) without activity "
        "and valid consent after which a candidate is erased; null: the policy is off",
    ),
]


class RetentionPolicyChange(BaseModel):
    """The whole policy: `inactive_months`, or null to turn it off."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"inactive_months": 24}]}
    )

    inactive_months: InactiveMonths


class RetentionPolicy(BaseModel):
    inactive_months: int | None = Field(description="Null: off, nothing is due")
    enabled: bool
    updated_at: datetime | None = Field(description="When it was last set; null: never")
    updated_by: str | None = Field(description="Who set it: `user:<id>`, or `system:cli`")


def _view(row: dict[str, object] | None) -> RetentionPolicy:
    if row is None:
        return RetentionPolicy(
            inactive_months=None, enabled=False, updated_at=None, updated_by=None
        )
    months = row["inactive_months"]
    return RetentionPolicy.model_validate(
        {
            "inactive_months": months,
            "enabled": months is not None,
            "updated_at": row["updated_at"],
            "updated_by": row["updated_by"],
        }
    )


@router.get(
    "",
    response_model=RetentionPolicy,
    summary="The agency's retention policy (admins)",
    description="Off (`inactive_months` null) until an admin sets it. " + RULE,
    responses=problems({403: "Only admins may see or set the retention policy"}),
)
async def get_retention_policy(
    principal: Annotated[Principal, allow("retention:configure")], stores: StoresDep
) -> RetentionPolicy:
    async with stores.db.read() as conn:
        return _view(await repo.get_policy(conn, principal.tenant_id))


@router.put(
    "",
    response_model=RetentionPolicy,
    summary="Set the agency's retention policy (admins)",
    description="Replaces the policy: send `inactive_months`, or null to turn it off. "
    "It applies from the next `refactortrack retention run`. " + RULE,
    responses=problems(
        {
            400: "The body is not a JSON object",
            403: "Only admins may see or set the retention policy",
            422: "`inactive_months` missing, not a whole number, or outside "
            f"{MIN_INACTIVE_MONTHS}-{MAX_INACTIVE_MONTHS}; or an unknown field",
        }
    ),
)
async def put_retention_policy(
    body: RetentionPolicyChange,
    principal: Annotated[Principal, allow("retention:configure")],
    stores: StoresDep,
) -> RetentionPolicy:
    # Recorded as records name their actors (`kind:id`): an API key cannot be an admin.
    async with stores.db.transaction() as conn:
        row = await repo.put_policy(
            conn,
            principal.tenant_id,
            inactive_months=body.inactive_months,
            updated_by=f"{principal.kind}:{principal.id}",
            updated_at=utcnow(),
        )
    return _view(row)
