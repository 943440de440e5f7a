"""Writes the traps set: 300 candidates, 20 requisitions, graded by a recruiter's rules.

    uv run python -m tests.relevance.generate_traps   # rewrites tests/relevance/set_traps.json

The traps are what a recruiter sees through and a naive engine does not: skills written
with versions and suffixes ("Python 3", "ReactJS", "Spring Boot 3", "ASP.NET Core");
required skills written only in a headline ("Platform Engineer (K8s)"), a job title or
description, or a resume's text (uploaded as a file); false friends ("go-to person",
"Spring 2019", JavaScript for a Java role); people a short commute away in the next town
and people abroad, some willing to relocate; rates far over the bill rate; roles that
sponsor no visa. Grades come from `judge.grade`, written before the engine was tuned.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.relevance.judge import grade

SET_FILE = Path(__file__).with_name("set_traps.json")
SEED = 20261130
# Canonical skill -> how it is named on a requisition, and the forms people write.
SKILLS: dict[str, tuple[str, list[str]]] = {
    "python": ("Python", ["Python", "Python 3", "python3", "Python 3.11"]),
    "go": ("Go", ["Go", "golang", "Go 1.21"]),
    "kubernetes": ("Kubernetes", ["Kubernetes", "K8s", "Kubernetes (CKA)"]),
    "postgresql": ("PostgreSQL", ["PostgreSQL", "Postgres", "PostgreSQL 15"]),
    "javascript": ("JavaScript", ["JavaScript", "JS", "JavaScript (ES6)"]),
    "typescript": ("TypeScript", ["TypeScript", "TS", "TypeScript 5"]),
    "react": ("React", ["React", "React.js", "ReactJS", "React 18"]),
    "kafka": ("Kafka", ["Kafka", "Apache Kafka"]),
    "aws": ("AWS", ["AWS", "Amazon Web Services"]),
    "java": ("Java", ["Java", "Java 17", "Java 8"]),
    "spring": ("Spring Boot", ["Spring", "Spring Boot", "Spring Boot 3"]),
    ".net": ("ASP.NET", [".NET", "ASP.NET Core", "ASP.NET (Core)", "dotnet"]),
    "c#": ("C#", ["C#"]),
    "node.js": ("Node.js", ["Node.js", "NodeJS"]),
    "docker": ("Docker", ["Docker"]),
    "terraform": ("Terraform", ["Terraform"]),
}
# How a skill reads in running text (a headline, a job, a resume).
IN_TEXT: dict[str, list[str]] = {
    "python": ["Python", "Python 3"],
    "go": ["Go", "golang"],
    "kubernetes": ["K8s", "Kubernetes"],
    "postgresql": ["Postgres", "PostgreSQL"],
    "javascript": ["JavaScript"],
    "typescript": ["TypeScript"],
    "react": ["React", "React.js"],
    "kafka": ["Apache Kafka", "Kafka"],
    "aws": ["AWS"],
    "java": ["Java"],
    "spring": ["Spring Boot"],
    ".net": ["ASP.NET Core", ".NET"],
    "c#": ["C#"],
    "node.js": ["Node.js"],
    "docker": ["Docker"],
    "terraform": ["Terraform"],
}
TITLES = {
    "python": "Python Engineer",
    "go": "Backend Engineer",
    "kubernetes": "Platform Engineer",
    "react": "Frontend Developer",
    "java": "Java Engineer",
    ".net": ".NET Developer",
    "node.js": "Node.js Developer",
}
# (city, country, weight): people cluster around the roles' cities, a few far off.
HOMES = [
    ("Munich", "DE", 8),
    ("Freising", "DE", 3),
    ("Dachau", "DE", 2),
    ("Augsburg", "DE", 3),
    ("Nuremberg", "DE", 2),
    ("Berlin", "DE", 6),
    ("Potsdam", "DE", 2),
    ("Hamburg", "DE", 2),
    ("Warsaw", "PL", 5),
    ("London", "GB", 6),
    ("Reading", "GB", 2),
    ("Manchester", "GB", 2),
    ("Amsterdam", "NL", 5),
    ("Utrecht", "NL", 2),
    ("Rotterdam", "NL", 2),
    ("Lisbon", "PT", 3),
]
ROLE_CITIES = [("Munich", "DE"), ("Berlin", "DE"), ("London", "GB"), ("Amsterdam", "NL")]
AUTHORISATIONS = [
    None,
    None,
    "EU citizen",
    "EU citizen",
    "UK right to work",
    "Needs visa sponsorship",
]
DISTRACTIONS = [
    "The go-to person for on-call questions.",
    "Joined the team in Spring 2019 after a year of travel.",
    "Let's go further: mentoring and hiring.",
    "Wrote the team's style guide and ran the reading group.",
]


def _candidate(
    r: random.Random, i: int, aim: dict[str, Any] | None
) -> tuple[dict[str, Any], str | None]:
    """A person; `aim` is a requisition they were written to look right for (or nearly)."""
    keys = r.sample(sorted(SKILLS), r.randint(2, 5))
    if aim is not None:
        wanted = [k for k in SKILLS if SKILLS[k][0] in aim["required_skills"]]
        if r.random() < 0.2:  # nearly: one required skill short
            wanted = wanted[1:]
        keys = list(dict.fromkeys([*wanted, *keys]))[: max(len(wanted), r.randint(2, 5))]
    main = next((k for k in keys if k in TITLES), keys[0])
    listed, headline_skill, job_skills, resume_skills = [], None, [], []
    for k in keys:
        where = r.random()
        if where < 0.7:
            listed.append({"name": r.choice(SKILLS[k][1]), "years": r.randint(1, 12)})
        elif where < 0.8 and headline_skill is None:
            headline_skill = k
        elif where < 0.9:
            job_skills.append(k)
        else:
            resume_skills.append(k)
    level = r.choice(["Senior", "Staff", "Lead", "Mid-level", ""])
    headline = f"{level} {TITLES.get(main, 'Software Engineer')}".strip()
    if headline_skill is not None and headline_skill != main:
        headline += f" ({r.choice(IN_TEXT[headline_skill])})"
    work: list[dict[str, Any]] = []
    if job_skills or r.random() < 0.5:
        said = " and ".join(r.choice(IN_TEXT[k]) for k in job_skills)
        work.append(
            {
                "employer": r.choice(["Hooli", "Initech", "Globex", "Umbrella"]),
                "title": f"{r.choice(['Senior', ''])} Software Engineer".strip(),
                "description": (f"Built services with {said}. " if said else "Built services. ")
                + r.choice(DISTRACTIONS),
            }
        )
    resume = None
    if resume_skills or r.random() < 0.15:
        said = ", ".join(r.choice(IN_TEXT[k]) for k in resume_skills) or "several stacks"
        resume = (
            f"Software engineer. Day to day I work with {said}. "
            f"{r.choice(DISTRACTIONS)} I enjoy clean code and good reviews.\n"
        )
    city, country, _ = r.choices(HOMES, weights=[w for *_, w in HOMES])[0]
    if aim is not None and r.random() < 0.5:
        near = {
            "Munich": ["Munich", "Freising", "Dachau", "Augsburg"],
            "Berlin": ["Berlin", "Potsdam"],
            "London": ["London", "Reading"],
            "Amsterdam": ["Amsterdam", "Utrecht", "Rotterdam"],
        }
        city = r.choice(near[aim["location"]["city"]])
        country = aim["location"]["country"]
    candidate: dict[str, Any] = {
        "first_name": r.choice(["Ada", "Grace", "Linus", "Barbara", "Ken", "Radia", "Edsger"]),
        "last_name": f"Trap{i}",
        "emails": [f"trap.{i}@example.com"],
        "headline": headline,
        "location": {"city": city, "country": country, "remote": r.random() < 0.3},
        "willing_to_relocate": r.random() < 0.25,
        "skills": listed,
        "work_history": work,
        "desired_rate": {"amount": str(r.randint(60, 170)), "currency": "EUR", "unit": "hour"},
    }
    authorisation = r.choice(AUTHORISATIONS)
    if authorisation:
        candidate["work_authorization"] = authorisation
    return candidate, resume


def _requisition(r: random.Random) -> dict[str, Any]:
    keys = r.sample(sorted(SKILLS), 4)
    required, nice = keys[: r.choice([1, 1, 2, 2, 3])], keys[3:]
    main = next((k for k in required if k in TITLES), required[0])
    city, country = r.choice(ROLE_CITIES)
    mode = r.choices(["onsite", "hybrid", "remote"], weights=[3, 2, 1])[0]
    description = "A role in a product team."
    if r.random() < 0.3:
        description += " No visa sponsorship."
    title = f"{r.choice(['Senior', 'Staff', ''])} {TITLES.get(main, 'Software Engineer')}"
    return {
        "title": title.strip(),
        "description": description,
        "required_skills": [SKILLS[k][0] for k in required],
        "nice_to_have_skills": [SKILLS[k][0] for k in nice],
        "location": {"city": city, "country": country, "remote": mode},
        "employment_type": "contract",
        "bill_rate": {"min": "60", "max": str(r.randint(80, 130)), "currency": "EUR"},
    }


def build() -> dict[str, Any]:
    r = random.Random(SEED)
    requisitions = [_requisition(r) for _ in range(20)]
    people = [
        _candidate(r, i, r.choice(requisitions) if r.random() < 0.5 else None) for i in range(300)
    ]
    candidates = [c for c, _ in people]
    resumes = {str(i): text for i, (_, text) in enumerate(people) if text}
    judgements = [
        {
            str(i): g
            for i, (c, text) in enumerate(people)
            if (g := grade({**c, "resume_text": text}, req))
        }
        for req in requisitions
    ]
    return {
        "candidates": candidates,
        "resumes": resumes,
        "requisitions": requisitions,
        "judgements": judgements,
    }


def main() -> None:
    SET_FILE.write_text(json.dumps(build(), indent=0) + "\n")
    print(f"wrote {SET_FILE}")


if __name__ == "__main__":
    main()
