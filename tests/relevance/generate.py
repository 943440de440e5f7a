"""Writes the relevance set: 300 candidates, 20 requisitions, graded judgements.

    uv run python -m tests.relevance.generate   # rewrites tests/relevance/set.json

Skills are spelled the many ways resumes spell them (k8s, golang, postgres, js), so a
search that knows only one spelling misses people; the grades come from `judge.py`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.relevance.judge import grade_first_set

SET_FILE = Path(__file__).with_name("set.json")
SEED = 20261126
SPELLINGS: dict[str, list[str]] = {
    "Python": ["Python", "python3", "py"],
    "Go": ["Go", "golang"],
    "Kubernetes": ["Kubernetes", "k8s"],
    "PostgreSQL": ["PostgreSQL", "postgres"],
    "JavaScript": ["JavaScript", "js"],
    "TypeScript": ["TypeScript", "ts"],
    "React": ["React", "reactjs"],
    "Kafka": ["Kafka"],
    "AWS": ["AWS"],
    "Terraform": ["Terraform"],
    "Java": ["Java"],
    "Spring": ["Spring", "spring boot"],
    "Docker": ["Docker"],
    "Rust": ["Rust"],
}
PLACES = [("Berlin", "DE"), ("Munich", "DE"), ("London", "GB"), ("Amsterdam", "NL")]
TITLES = {
    "Python": "Python Engineer",
    "Go": "Go Developer",
    "Kubernetes": "Platform Engineer",
    "JavaScript": "Frontend Developer",
    "Java": "Java Engineer",
    "Rust": "Systems Engineer",
}


def _candidate(r: random.Random, i: int) -> dict[str, Any]:
    skills = r.sample(sorted(SPELLINGS), r.randint(2, 5))
    city, country = r.choice(PLACES)
    main = next((s for s in skills if s in TITLES), skills[0])
    return {
        "first_name": r.choice(["Ada", "Grace", "Linus", "Barbara", "Ken", "Radia", "Edsger"]),
        "last_name": f"Relevance{i}",
        "emails": [f"relevance.{i}@example.com"],
        "headline": f"{r.choice(['Senior', 'Staff', 'Lead', ''])} {TITLES.get(main, main)}".strip(),
        "location": {"city": city, "country": country, "remote": r.random() < 0.3},
        "skills": [{"name": r.choice(SPELLINGS[s]), "years": r.randint(1, 12)} for s in skills],
        "desired_rate": {"amount": str(r.randint(60, 140)), "currency": "EUR", "unit": "hour"},
    }


def _requisition(r: random.Random, i: int) -> dict[str, Any]:
    skills = r.sample(sorted(SPELLINGS), 4)
    required, nice = skills[: r.randint(1, 3)], skills[3:]
    city, country = r.choice(PLACES)
    main = next((s for s in required if s in TITLES), required[0])
    return {
        "title": f"{r.choice(['Senior', 'Staff', ''])} {TITLES.get(main, main)}".strip(),
        "required_skills": required,
        "nice_to_have_skills": nice,
        "location": {
            "city": city,
            "country": country,
            "remote": r.choice(["onsite", "hybrid", "remote"]),
        },
        "employment_type": "contract",
        "bill_rate": {"min": "60", "max": str(r.randint(80, 130)), "currency": "EUR"},
    }


def build() -> dict[str, Any]:
    r = random.Random(SEED)
    candidates = [_candidate(r, i) for i in range(300)]
    requisitions = [_requisition(r, i) for i in range(20)]
    judgements = [
        {str(c): g for c, cand in enumerate(candidates) if (g := grade_first_set(cand, req))}
        for req in requisitions
    ]
    return {"candidates": candidates, "requisitions": requisitions, "judgements": judgements}


def main() -> None:
    SET_FILE.write_text(json.dumps(build(), indent=0) + "\n")
    print(f"wrote {SET_FILE}")


if __name__ == "__main__":
    main()
