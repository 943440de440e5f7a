from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidCommand
from domain.pipeline import (
    IllegalMove,
    Move,
    contract_economics,
    legal_moves,
    next_stage,
    permanent_economics,
    placement_change,
    placement_economics,
)


def test_forward_moves_may_skip_stages() -> None:
    assert next_stage("sourced", "interviewing", []) == "interviewing"
    assert legal_moves("client_review") == [
        "interviewing",
        "offered",
        "placed",
        "rejected",
        "withdrawn",
    ]


def test_any_active_stage_may_close() -> None:
    for stage in ("sourced", "screened", "submitted", "client_review", "interviewing", "offered"):
        assert next_stage(stage, "rejected", []) == "rejected"
        assert next_stage(stage, "withdrawn", []) == "withdrawn"


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("interviewing", "screened"),
        ("offered", "offered"),
        ("placed", "offered"),
        ("rejected", "screened"),
        ("withdrawn", "placed"),
        ("sourced", "reopen"),
    ],
)
def test_illegal_moves_name_the_legal_ones(current: str, to: str) -> None:
    with pytest.raises(IllegalMove) as info:
        next_stage(current, to, [])
    assert info.value.status == 409
    assert info.value.extra["legal"] == legal_moves(current)
    assert current in info.value.message


def test_reopen_returns_to_the_stage_it_left() -> None:
    history = [
        Move("sourced", "submitted"),
        Move("submitted", "interviewing"),
        Move("interviewing", "rejected"),
    ]
    assert legal_moves("rejected") == ["reopen"]
    assert next_stage("rejected", "reopen", history) == "interviewing"
    placed = [Move("sourced", "offered"), Move("offered", "placed")]
    assert next_stage("placed", "reopen", placed) == "offered"


def test_contract_economics_in_decimal() -> None:
    e = contract_economics(Decimal("100"), Decimal("70"))
    assert (e.margin, e.markup, e.margin_percent) == (
        Decimal("30.00"),
        Decimal("0.4286"),
        Decimal("0.3000"),
    )
    # Amounts that float would round wrongly stay exact.
    e = contract_economics(Decimal("0.3"), Decimal("0.1"))
    assert e.margin == Decimal("0.20")


def test_contract_economics_refuse_a_loss_or_zero() -> None:
    with pytest.raises(InvalidCommand, match="exceeds"):
        contract_economics(Decimal("80"), Decimal("90"))
    with pytest.raises(InvalidCommand):
        contract_economics(Decimal("80"), Decimal("0"))


def test_permanent_fee() -> None:
    e = permanent_economics(Decimal("95000"), Decimal("0.2"))
    assert e.fee == Decimal("19000.00")
    with pytest.raises(InvalidCommand, match="fraction"):
        permanent_economics(Decimal("95000"), Decimal("20"))


START = date(2027, 1, 4)
TODAY = date(2027, 3, 1)


def _change(status: str, changes: dict[str, object], end: date | None = None) -> dict[str, object]:
    return placement_change(
        status=status, start_date=START, end_date=end, changes=changes, today=TODAY
    )


def test_an_active_placement_completes_or_is_terminated_today_by_default() -> None:
    assert _change("active", {"status": "completed"}) == {
        "status": "completed",
        "end_date": "2027-03-01",
    }
    assert _change("active", {"status": "terminated", "end_date": "2027-02-10"}) == {
        "status": "terminated",
        "end_date": "2027-02-10",
    }
    # A placement that falls off before it starts ends on its start date.
    fell_off = placement_change(
        status="active",
        start_date=START,
        end_date=None,
        changes={"status": "terminated"},
        today=date(2026, 12, 1),
    )
    assert fell_off["end_date"] == "2027-01-04"
    # A planned end date is kept when the placement ends.
    assert _change("active", {"status": "completed"}, end=date(2027, 6, 30)) == {
        "status": "completed"
    }


@pytest.mark.parametrize(
    ("status", "to"),
    [("completed", "active"), ("terminated", "completed"), ("completed", "terminated")],
)
def test_an_ended_placement_is_final(status: str, to: str) -> None:
    with pytest.raises(Conflict, match="reopen its submission"):
        _change(status, {"status": to})


def test_an_end_never_precedes_the_start() -> None:
    with pytest.raises(InvalidCommand, match="before the placement's start_date"):
        _change("active", {"end_date": "2027-01-03"})
    # Correcting the dates of an ended placement is fine.
    assert _change("terminated", {"end_date": "2027-01-04"}) == {"end_date": "2027-01-04"}


def test_placement_economics_are_a_contract_or_a_permanent_fee() -> None:
    contract = placement_economics(
        bill_rate=Decimal("100"),
        pay_rate=Decimal("70"),
        currency="EUR",
        salary=None,
        fee_percent=None,
    )
    assert (contract["margin"], contract["currency"]) == (Decimal("30.00"), "EUR")
    permanent = placement_economics(
        bill_rate=None,
        pay_rate=None,
        currency=None,
        salary=Decimal("80000"),
        fee_percent=Decimal("0.2"),
    )
    assert permanent["fee"] == Decimal("16000.00")
    with pytest.raises(InvalidCommand):
        placement_economics(
            bill_rate=Decimal("100"), pay_rate=None, currency="EUR", salary=None, fee_percent=None
        )
