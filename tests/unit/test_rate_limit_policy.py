"""What a request costs, and what a refused one tells the caller (pure logic)."""

from __future__ import annotations

import importlib
import math

from gateway.ratelimit import COSTS, READ, SEARCH, UPLOAD, Standing, TooManyRequests, cost_of
from stores.rate_limits import Allowance, Window


def test_every_dear_endpoint_is_a_route_of_the_api() -> None:
    for name in COSTS:
        module_name, _, function = name.rpartition(".")
        module = importlib.import_module(module_name)
        endpoint = getattr(module, function)
        assert any(getattr(r, "endpoint", None) is endpoint for r in module.router.routes), name


def test_searches_matches_and_uploads_cost_more_than_reads() -> None:
    assert cost_of("gateway.routes.candidates.get_candidate") == READ
    assert cost_of("gateway.routes.search.search_candidates") == SEARCH > READ
    assert cost_of("gateway.routes.matching.match_candidates") == SEARCH
    assert cost_of("gateway.routes.documents.upload_document") == UPLOAD > SEARCH
    assert cost_of("") == READ


def test_a_refusal_says_the_limit_the_cost_and_when_to_retry() -> None:
    refused = TooManyRequests("your agency", Allowance(False, 10, 3, 12.2), 5, "6000;w=60")
    assert refused.status_code == 429
    assert refused.headers is not None
    assert refused.headers["Retry-After"] == "13"
    assert refused.headers["RateLimit-Limit"] == "10"
    assert refused.headers["RateLimit-Remaining"] == "3"
    assert "your agency" in refused.detail
    assert "costs 5" in refused.detail
    # A window that frees at once still asks for a second.
    assert TooManyRequests("you", Allowance(False, 1, 0, 0.0), 1, "").headers == {
        "RateLimit-Limit": "1",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "0",
        "RateLimit-Policy": "",
        "Retry-After": "1",
    }


def test_the_headers_name_the_bucket_nearer_its_limit() -> None:
    standing = Standing(Allowance(True, 100, 40, 30.5), "100;w=60, 1000;w=60")
    assert standing.headers() == {
        "RateLimit-Limit": "100",
        "RateLimit-Remaining": "40",
        "RateLimit-Reset": "31",
        "RateLimit-Policy": "100;w=60, 1000;w=60",
    }


def test_a_sliding_window_says_when_a_request_of_some_cost_fits() -> None:
    # 10 a minute; 30 s left in this window; 8 in the previous one, 6 in this one.
    window = Window(previous=8, current=6, left=30.0, length=60.0)
    assert window.used() == 10  # 8 * 30/60 + 6
    assert window.seconds_until_room(1, 10) == 7.5  # the previous count drains to 3
    assert window.seconds_until_room(4, 10) == 30.0  # all of the previous one gone
    # More than this window's count allows: into the next, as this one drains.
    assert window.seconds_until_room(5, 10) == 30.0 + 60.0 * (1 - 5 / 6)
    assert window.seconds_until_room(11, 10) == math.inf
    assert Window(0, 0, 0.0, 60.0).seconds_until_room(10, 10) == 0.0
