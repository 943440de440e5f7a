"""Skill recognition: written forms to the vocabulary, and skills read in running text."""

from __future__ import annotations

import pytest

from domain.skills import (
    SkillSearch,
    canonical_skill,
    extract_skills,
    skill_key,
    skill_search,
    text_skill_keys,
)


@pytest.mark.parametrize(
    ("written", "skill"),
    [
        ("Python 3", "Python"),
        ("python3", "Python"),
        ("Python 3.11", "Python"),
        ("React.js", "React"),
        ("ReactJS", "React"),
        ("React 18", "React"),
        ("Spring Boot", "Spring"),
        ("Spring Boot 3", "Spring"),
        ("ASP.NET (Core)", ".NET"),
        ("ASP.NET Core", ".NET"),
        (".NET 6", ".NET"),
        ("Apache Kafka", "Kafka"),
        ("K8s", "Kubernetes"),
        ("Kubernetes (CKA)", "Kubernetes"),
        ("golang", "Go"),
        ("Go 1.21", "Go"),
        ("Postgres", "PostgreSQL"),
        ("PostgreSQL 15", "PostgreSQL"),
        ("JS", "JavaScript"),
        ("JavaScript (ES6)", "JavaScript"),
        ("TS", "TypeScript"),
        ("C#", "C#"),
        ("C# 10", "C#"),
        ("C++", "C++"),
        ("C++17", "C++"),
        ("C", "C"),
        ("Node.js", "Node.js"),
        ("NodeJS", "Node.js"),
        ("Java 17", "Java"),
        ("Microsoft Azure", "Azure"),
        ("Amazon Web Services (AWS)", "AWS"),
    ],
)
def test_written_forms_are_the_vocabulary_s_skills(written: str, skill: str) -> None:
    assert canonical_skill(written) == skill
    assert skill_key(written) == skill.lower()


def test_false_friends_stay_apart() -> None:
    assert skill_key("Java") != skill_key("JavaScript")
    assert len({skill_key("C"), skill_key("C#"), skill_key("C++")}) == 3
    # Unknown skills keep their name; an edition set apart is dropped, a digit in a name not.
    assert canonical_skill("Underwater Basket Weaving") == "Underwater Basket Weaving"
    assert skill_key("Elixir 1.15") == "elixir"
    assert skill_key("EC2") == "ec2"


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("Mid-level Platform Engineer (K8s)", ["Kubernetes"]),
        ("Built services in Go and Python 3.", ["Python", "Go"]),
        ("Go, Rust", ["Go", "Rust"]),
        ("The go-to person for on-call questions.", []),
        ("Let's go further: mentoring.", []),
        ("Joined in Spring 2019.", []),
        ("Services in Spring Boot and Apache Kafka.", ["Spring", "Kafka"]),
        ("REST APIs, and the rest of it", ["REST"]),
        ("C, C++ and C# at a C-level company", ["C", "C++", "C#"]),
        ("Java and JavaScript", ["Java", "JavaScript"]),
        ("ASP.NET Core apps", [".NET"]),
        ("a node in a graph, rusty tools", []),
        ("Backend in Node and TypeScript", ["TypeScript", "Node.js"]),
    ],
)
def test_skills_are_read_in_running_text(text: str, skills: list[str]) -> None:
    assert extract_skills(text) == skills


def test_text_skill_keys_are_the_keys_of_what_a_text_mentions() -> None:
    assert text_skill_keys("Senior Engineer (K8s, golang)") == ["go", "kubernetes"]
    assert text_skill_keys(None) == []


def test_a_search_for_a_skill_looks_for_the_spellings_the_analyser_reads_as_it() -> None:
    kubernetes = skill_search("k8s")
    assert kubernetes is not None
    assert kubernetes.key == "kubernetes"
    assert kubernetes.in_text == ("Kubernetes", "k8s")
    # An ordinary word in prose is looked for in a skills list only.
    go = skill_search("Go 1.21")
    assert go == SkillSearch("go", in_text=("golang",), in_list=("Go",))
    spring = skill_search("spring boot")
    assert spring is not None
    assert "spring boot" in spring.in_text
    assert spring.in_list == ("Spring",)
    # Dots inside a word stay (the analyser keeps "react.js" whole) ...
    react = skill_search("ReactJS")
    assert react is not None
    assert "react.js" in react.in_text
    # ... but "C#", "C++" and "C" are all "c" to it, and ".NET" is "net": by key alone.
    for name, key in (("C#", "c#"), ("C++", "c++"), ("C", "c"), (".NET", ".net")):
        found = skill_search(name)
        assert found is not None
        assert found.key == key
        assert name.lower() not in [s.lower() for s in (*found.in_text, *found.in_list)]
    assert skill_search("Underwater Basket Weaving") is None
