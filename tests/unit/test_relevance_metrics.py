from __future__ import annotations

import math

from bench.relevance import ndcg_at, recall_at
from bench.skills_ceiling import ceiling, skill_grades
from tests.relevance.judge import grade, grade_first_set


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
    # Capped: one slot, one good candidate in it, is all that could be found.
    assert recall_at(["b", "a"], grades, k=1) == 1.0
    many = {str(i): 2 for i in range(80)}
    assert recall_at([str(i) for i in range(50)], many) == 1.0


def test_the_first_set_was_graded_from_the_trade_rules() -> None:
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
    assert grade_first_set(person, role) == 3
    assert grade_first_set({**person, "desired_rate": {"amount": "120"}}, role) == 2
    assert grade_first_set({**person, "location": {"city": "Paris", "country": "FR"}}, role) == 2
    assert grade_first_set({**person, "skills": [{"name": "Go"}]}, role) == 1
    assert grade_first_set({**person, "skills": [{"name": "Rust"}]}, role) == 0


def test_the_recruiter_reads_skills_wherever_they_are_written() -> None:
    role = {
        "required_skills": ["Kubernetes", "Spring Boot"],
        "location": {"city": "Munich", "country": "DE", "remote": "remote"},
    }
    person = {"skills": [{"name": "Spring Boot 3"}], "headline": "Platform Engineer (K8s)"}
    assert grade(person, role) == 3
    in_resume = {"skills": [{"name": "k8s"}], "resume_text": "Services in Spring Boot."}
    assert grade(in_resume, role) == 3
    season = {"skills": [{"name": "k8s"}], "resume_text": "Joined in Spring 2019."}
    assert grade(season, role) == 1
    java_role = {**role, "required_skills": ["Java"]}
    assert grade({"skills": [{"name": "JavaScript"}]}, java_role) == 0
    go_role = {**role, "required_skills": ["Go"]}
    assert grade({"skills": [], "resume_text": "The go-to person."}, go_role) == 0
    assert grade({"skills": [], "resume_text": "Built it in Go."}, go_role) == 3


def test_the_recruiter_grades_reach_rate_and_visa_as_deal_breakers() -> None:
    onsite = {
        "required_skills": ["Python"],
        "description": "No visa sponsorship.",
        "location": {"city": "Munich", "country": "DE", "remote": "onsite"},
        "bill_rate": {"max": "100"},
    }
    local = {
        "skills": [{"name": "Python 3"}],
        "location": {"city": "Dachau", "country": "DE"},
        "desired_rate": {"amount": "90"},
    }
    assert grade(local, onsite) == 3
    warsaw = {**local, "location": {"city": "Warsaw", "country": "PL"}}
    assert grade(warsaw, onsite) == 1
    assert grade({**warsaw, "willing_to_relocate": True}, onsite) == 2
    assert grade({**local, "desired_rate": {"amount": "110"}}, onsite) == 2
    assert grade({**local, "desired_rate": {"amount": "130"}}, onsite) == 1
    assert grade({**local, "work_authorization": "Needs visa sponsorship"}, onsite) == 1
    hybrid = {**onsite, "location": {**onsite["location"], "remote": "hybrid"}}
    augsburg = {**local, "location": {"city": "Augsburg", "country": "DE"}}
    assert grade(augsburg, onsite) == 1
    assert grade(augsburg, hybrid) == 3
    berlin = {**local, "location": {"city": "Berlin", "country": "DE"}}
    assert grade(berlin, hybrid) == 1
    assert grade({**berlin, "willing_to_relocate": True}, hybrid) == 2
    assert grade({**warsaw, "willing_to_relocate": True}, hybrid) == 1


def test_a_skills_only_ceiling_and_grading_read_skills_as_the_judge_does() -> None:
    role = {
        "required_skills": ["Kubernetes", "Go"],
        "location": {"city": "Berlin", "country": "DE", "remote": "remote"},
    }
    people = [
        {"skills": [{"name": "k8s"}], "headline": "Go developer"},  # both, one in the headline
        {"skills": [{"name": "golang"}]},  # half
        {"skills": [{"name": "Java"}]},  # none
    ]
    data = {
        "candidates": people,
        "requisitions": [role],
        "judgements": [{"0": 3, "1": 1}],
        "resumes": {"2": "Day to day: Kubernetes and Go."},  # both, in the resume
    }
    assert skill_grades(data) == [{"0": 2, "1": 1, "2": 2}]
    figures = ceiling(data)
    # Two people have both skills and one of them is the judge's 3: in either order.
    best = ndcg_at(["0", "2", "1"], {"0": 3, "1": 1})
    worst = ndcg_at(["2", "0", "1"], {"0": 3, "1": 1})
    assert figures["ceiling_worst_ndcg10"] == worst
    assert worst < figures["ceiling_ndcg10"] < best
