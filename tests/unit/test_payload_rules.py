"""The rules payload records carry: what a command must hold before an agent applies it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from topics.candidates import CandidateFields, CandidatePatch
from topics.clients import ClientFields
from topics.pipeline import PlacementPatch, Transition
from topics.requisitions import RequisitionFields, StatusChange


def _requisition(**overrides: Any) -> RequisitionFields:
    return RequisitionFields.model_validate(
        {"client_id": str(uuid.uuid4()), "title": "Data Engineer", **overrides}
    )


@pytest.mark.parametrize("status", ["on_hold", "closed", "cancelled"])
def test_holding_closing_or_cancelling_a_requisition_needs_a_reason(status: str) -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        StatusChange(status=status)
    assert StatusChange(status=status, reason="budget frozen").reason == "budget frozen"


def test_reopening_or_filling_needs_no_reason() -> None:
    assert StatusChange(status="open").reason is None


def test_rate_ranges_are_ordered_and_money_has_cents() -> None:
    with pytest.raises(ValidationError, match="min must not exceed max"):
        _requisition(bill_rate={"min": "120", "max": "90", "currency": "EUR"})
    ranged = _requisition(bill_rate={"min": "90.5", "max": "120", "currency": "EUR"})
    assert ranged.bill_rate is not None
    assert ranged.bill_rate.min == Decimal("90.50")


def test_openings_are_at_least_one() -> None:
    with pytest.raises(ValidationError):
        _requisition(openings=0)
    assert _requisition().openings == 1


@pytest.mark.parametrize("fee", ["1.5", "-0.1"])
def test_fee_percent_is_a_fraction(fee: str) -> None:
    with pytest.raises(ValidationError):
        ClientFields.model_validate({"name": "Initech", "default_fee_percent": fee})


def test_a_rejection_says_why_and_who() -> None:
    with pytest.raises(ValidationError, match="reason and rejected_by"):
        Transition(to="rejected", reason="rate")
    assert Transition(to="rejected", reason="rate", rejected_by="client").rejected_by == "client"


def test_a_placement_is_contract_or_permanent_never_both() -> None:
    both: dict[str, Any] = {
        "to": "placed",
        "start_date": "2027-01-04",
        "bill_rate": "100",
        "pay_rate": "70",
        "currency": "EUR",
        "salary": "90000",
        "fee_percent": "0.2",
    }
    with pytest.raises(ValidationError, match="either"):
        Transition.model_validate(both)
    with pytest.raises(ValidationError, match="either"):
        Transition.model_validate({"to": "placed", "bill_rate": "100", "pay_rate": "70"})
    with pytest.raises(ValidationError, match="end_date is before start_date"):
        Transition.model_validate(
            {
                "to": "placed",
                "start_date": "2027-01-04",
                "end_date": "2027-01-03",
                "salary": "1",
                "fee_percent": "0.1",
            }
        )


def test_patches_cannot_clear_what_a_record_needs() -> None:
    with pytest.raises(ValidationError, match="first_name cannot be null"):
        CandidatePatch.model_validate({"first_name": None})
    with pytest.raises(ValidationError, match="status cannot be null"):
        PlacementPatch.model_validate({"status": None})
    assert CandidatePatch.model_validate({"headline": None}).changes() == {"headline": None}


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError, match="shoe_size"):
        CandidateFields.model_validate({"first_name": "A", "last_name": "B", "shoe_size": 44})
