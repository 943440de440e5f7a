from __future__ import annotations

from decimal import Decimal

import pytest

from agents.pipeline.rules import (
    IllegalMove,
    Move,
    contract_economics,
    legal_moves,
    next_stage,
    permanent_economics,
)
from core.errors import InvalidCommand


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
