from __future__ import annotations

import math

from bench.relevance import ndcg_at, recall_at
from tests.relevance.judge import grade


def test_ndcg_is_one_for_the_ideal_order_and_less_otherwise() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == 1.0
    worse = ndcg_at(["c", "b", "a"], grades)
    assert 0 < worse < 1
    expected = (1 + 3 / math.log2(3) + 7 / 2) / (7 + 3 / math.log2(3) + 1 / 2)
    assert math.isclose(worse, expected)
    assert ndcg_at(["x", "y"], grades) == 0.0


def test_recall_counts_the_good_and_excellent_in_the_top_k() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert recall_at(["a", "z"], grades) == 0.5
    assert recall_at(["c"], grades) == 0.0
    assert recall_at(["b", "a"], grades, k=1) == 0.5


def test_the_judge_grades_from_the_trade_rules() -> None:
    role = {
        "required_skills": ["Kubernetes", "Go"],
        "location": {"city": "Berlin", "country": "DE", "remote": "onsite"},
        "bill_rate": {"max": "100"},
    }
    person = {
        "skills": [{"name": "k8s"}, {"name": "golang"}],
        "location": {"city": "Berlin", "country": "DE"},
        "desired_rate": {"amount": "90"},
    }
    assert grade(person, role) == 3
    assert grade({**person, "desired_rate": {"amount": "120"}}, role) == 2
    assert grade({**person, "location": {"city": "Paris", "country": "FR"}}, role) == 2
    assert grade({**person, "skills": [{"name": "Go"}]}, role) == 1
    assert grade({**person, "skills": [{"name": "Rust"}]}, role) == 0
