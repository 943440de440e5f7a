"""The pipeline: its stages, and its rules as plain functions (stage moves, economics).

`sourced → screened → submitted → client_review → interviewing → offered → placed`, and
from any active stage to `rejected` or `withdrawn`. Forward moves may skip stages;
backward moves, and moves out of `placed`, `rejected` and `withdrawn`, are illegal except
`reopen`, which returns a closed submission to the stage it left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, get_args

from core.errors import Conflict, InvalidCommand

Stage = Literal[
    "sourced",
    "screened",
    "submitted",
    "client_review",
    "interviewing",
    "offered",
    "placed",
    "rejected",
    "withdrawn",
]
PIPELINE_STAGES: tuple[str, ...] = get_args(Stage)
"""Every stage, in pipeline order: the forward stages, then the two ways out."""
FORWARD: tuple[str, ...] = PIPELINE_STAGES[: PIPELINE_STAGES.index("placed") + 1]
"""sourced → … → placed; rejected and withdrawn are reached only by moving there."""
CLOSED_STAGES: frozenset[str] = frozenset({"placed", "rejected", "withdrawn"})
"""A submission in one of these has left the active pipeline (until reopened)."""
CLOSED = CLOSED_STAGES
REOPEN = "reopen"

CENTS = Decimal("0.01")
RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Move:
    """One entry of a submission's history."""

    from_stage: str
    to_stage: str


class IllegalMove(Conflict):
    code = "illegal_move"
    title = "Illegal stage move"


def legal_moves(current: str) -> list[str]:
    """Where a submission in `current` may go next, in pipeline order."""
    if current in CLOSED:
        return [REOPEN]
    ahead = list(FORWARD[FORWARD.index(current) + 1 :])
    return [*ahead, "rejected", "withdrawn"]


def next_stage(current: str, to: str, history: Sequence[Move]) -> str:
    """The stage after moving `current` to `to` (`reopen` resolved); raises if illegal."""
    legal = legal_moves(current)
    if to not in legal:
        raise IllegalMove(
            f"a submission in {current} cannot move to {to}; legal moves: {', '.join(legal)}",
            current=current,
            legal=legal,
        )
    if to != REOPEN:
        return to
    closing = next((m for m in reversed(history) if m.to_stage == current), None)
    if closing is None or closing.from_stage in CLOSED:
        raise IllegalMove(
            f"this submission has no stage to reopen to from {current}", current=current, legal=[]
        )
    return closing.from_stage


@dataclass(frozen=True, slots=True)
class ContractEconomics:
    bill_rate: Decimal
    pay_rate: Decimal
    margin: Decimal
    markup: Decimal
    margin_percent: Decimal


@dataclass(frozen=True, slots=True)
class PermanentEconomics:
    salary: Decimal
    fee_percent: Decimal
    fee: Decimal


def contract_economics(bill_rate: Decimal, pay_rate: Decimal) -> ContractEconomics:
    """Margin (bill - pay), markup (margin / pay), margin percent (margin / bill), as Decimals."""
    if pay_rate <= 0 or bill_rate <= 0:
        raise InvalidCommand("bill_rate and pay_rate must be positive", field="pay_rate")
    if pay_rate > bill_rate:
        raise InvalidCommand(
            f"pay_rate {pay_rate} exceeds bill_rate {bill_rate}: the placement would lose money",
            field="pay_rate",
        )
    margin = (bill_rate - pay_rate).quantize(CENTS, ROUND_HALF_UP)
    return ContractEconomics(
        bill_rate=bill_rate.quantize(CENTS, ROUND_HALF_UP),
        pay_rate=pay_rate.quantize(CENTS, ROUND_HALF_UP),
        margin=margin,
        markup=((bill_rate - pay_rate) / pay_rate).quantize(RATIO, ROUND_HALF_UP),
        margin_percent=((bill_rate - pay_rate) / bill_rate).quantize(RATIO, ROUND_HALF_UP),
    )


def permanent_economics(salary: Decimal, fee_percent: Decimal) -> PermanentEconomics:
    """The fee (salary * fee_percent, a fraction: 0.2 is 20 %)."""
    if salary <= 0:
        raise InvalidCommand("salary must be positive", field="salary")
    if not Decimal(0) < fee_percent <= Decimal(1):
        raise InvalidCommand(
            "fee_percent is a fraction between 0 and 1 (0.2 = 20 %)", field="fee_percent"
        )
    return PermanentEconomics(
        salary=salary.quantize(CENTS, ROUND_HALF_UP),
        fee_percent=fee_percent.quantize(RATIO, ROUND_HALF_UP),
        fee=(salary * fee_percent).quantize(CENTS, ROUND_HALF_UP),
    )


def placement_economics(
    *,
    bill_rate: Decimal | None,
    pay_rate: Decimal | None,
    currency: str | None,
    salary: Decimal | None,
    fee_percent: Decimal | None,
) -> dict[str, Any]:
    """A placement's economics columns: a contract's rates and margins, or a permanent fee."""
    if bill_rate is not None and pay_rate is not None:
        c = contract_economics(bill_rate, pay_rate)
        return {
            "currency": currency,
            "bill_rate": c.bill_rate,
            "pay_rate": c.pay_rate,
            "margin": c.margin,
            "markup": c.markup,
            "margin_percent": c.margin_percent,
        }
    if salary is not None and fee_percent is not None:
        p = permanent_economics(salary, fee_percent)
        return {"salary": p.salary, "fee_percent": p.fee_percent, "fee": p.fee}
    raise InvalidCommand(
        "a placement needs bill_rate and pay_rate (contract) or salary and fee_percent (permanent)",
        field="bill_rate",
    )


PLACEMENT_ENDED: frozenset[str] = frozenset({"completed", "terminated"})


def placement_change(
    *,
    status: str,
    start_date: date,
    end_date: date | None,
    changes: Mapping[str, Any],
    today: date,
) -> dict[str, Any]:
    """The columns a placement PATCH sets, after the placement rules.

    An active placement may complete or be terminated; either is final (a placement
    starts again only by reopening its submission and placing it again). Ending one
    without an end date ends it today, or on its start date if it never started. Dates
    may be corrected at any status, but the end never precedes the start.
    """
    to = changes.get("status", status)
    if to != status and (status in PLACEMENT_ENDED or to == "active"):
        raise Conflict(
            f"a {status} placement cannot become {to}; reopen its submission and place "
            "the candidate again",
            current=status,
            legal=[] if status in PLACEMENT_ENDED else sorted(PLACEMENT_ENDED),
        )
    result = dict(changes)
    new_end = changes.get("end_date", end_date)
    if isinstance(new_end, str):
        new_end = date.fromisoformat(new_end)
    if to in PLACEMENT_ENDED and new_end is None:
        # Ended before it started (the candidate fell off): it ends on its start date.
        new_end = max(today, start_date)
        result["end_date"] = new_end.isoformat()
    if new_end is not None and new_end < start_date:
        raise InvalidCommand(
            f"end_date {new_end} is before the placement's start_date {start_date}",
            field="end_date",
        )
    return result
