"""The search adapter's edge on the real OpenSearch: what the node refuses is BadQuery."""

from __future__ import annotations

import uuid

import pytest

from core.errors import BadQuery
from domain.query_syntax import Term, parse_query
from stores.bundle import Stores
from stores.search.query_dsl import FIELDS, CandidateFilters
from stores.search.requisitions import RequisitionFilters

pytestmark = pytest.mark.stack

LETTERS = "bcdfghjklmnpqrstvwxz"
# One word the analysers split into 400 tokens: past 1024 clauses over the default fields.
EXPLODING = Term("-".join(a + b for a in LETTERS for b in LETTERS))


async def test_a_cursor_of_the_wrong_shape_is_refused_as_a_bad_query(stores: Stores) -> None:
    tenant = uuid.uuid4()
    with pytest.raises(BadQuery) as raised:
        await stores.search.search_candidates(tenant, None, size=5, search_after=["x"])
    assert "search_after" in raised.value.message
    with pytest.raises(BadQuery):
        await stores.search.search_requisitions(
            tenant, None, filters=RequisitionFilters(), size=5, search_after=[{"a": 1}]
        )


async def test_a_query_past_the_clause_limit_is_a_bad_query(stores: Stores) -> None:
    with pytest.raises(BadQuery) as raised:
        await stores.search.search_candidates(
            uuid.uuid4(), EXPLODING, size=5, search_after=None, filters=CandidateFilters()
        )
    assert "1024" in raised.value.message
    # A query within bounds still runs.
    tree = parse_query("python AND (kafka OR pulsar)", FIELDS)
    result = await stores.search.search_candidates(uuid.uuid4(), tree, size=5, search_after=None)
    assert result["hits"]["hits"] == []
