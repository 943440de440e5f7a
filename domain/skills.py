"""The skills vocabulary: canonical names and the synonyms recruiters and resumes use.

Shared by resume parsing (and, later, search analysis) so that "k8s" on a resume and
"Kubernetes" on a requisition are the same skill.
"""

from __future__ import annotations

import re
from functools import lru_cache

SYNONYMS: dict[str, tuple[str, ...]] = {
    "Python": ("python3", "py"),
    "Java": (),
    "Kotlin": (),
    "Scala": (),
    "Go": ("golang",),
    "Rust": (),
    "C": (),
    "C++": ("cpp",),
    "C#": ("csharp", "c sharp"),
    ".NET": ("dotnet", "dot net"),
    "JavaScript": ("js", "ecmascript"),
    "TypeScript": ("ts",),
    "Node.js": ("node", "nodejs"),
    "React": ("reactjs", "react.js"),
    "Angular": ("angularjs",),
    "Vue": ("vue.js", "vuejs"),
    "Ruby": (),
    "Rails": ("ruby on rails", "ror"),
    "PHP": (),
    "Django": (),
    "Flask": (),
    "FastAPI": (),
    "Spring": ("spring boot",),
    "SQL": (),
    "PostgreSQL": ("postgres", "psql"),
    "MySQL": (),
    "MongoDB": ("mongo",),
    "Redis": (),
    "Elasticsearch": ("elastic search",),
    "OpenSearch": (),
    "Kafka": ("apache kafka",),
    "RabbitMQ": (),
    "Spark": ("apache spark", "pyspark"),
    "Airflow": ("apache airflow",),
    "Kubernetes": ("k8s",),
    "Docker": (),
    "Terraform": (),
    "Ansible": (),
    "AWS": ("amazon web services",),
    "GCP": ("google cloud", "google cloud platform"),
    "Azure": ("microsoft azure",),
    "Linux": (),
    "Git": (),
    "GraphQL": (),
    "REST": ("restful",),
    "gRPC": (),
    "Machine Learning": ("ml",),
    "Deep Learning": (),
    "PyTorch": (),
    "TensorFlow": (),
    "Pandas": (),
    "NumPy": (),
    "CI/CD": ("continuous integration",),
    "Agile": ("scrum",),
}


@lru_cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for canonical, synonyms in SYNONYMS.items():
        names = sorted({canonical, *synonyms}, key=len, reverse=True)
        # Word-ish boundaries that still allow "C++", "C#", ".NET" and "Node.js".
        alternatives = "|".join(re.escape(n) for n in names)
        out.append((canonical, re.compile(rf"(?<![\w.+#])(?:{alternatives})(?![\w+#])", re.I)))
    return out


@lru_cache(maxsize=1)
def _by_spelling() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for canonical, synonyms in SYNONYMS.items():
        for spelling in (canonical.lower(), *synonyms):
            spellings.setdefault(spelling, canonical)
    return spellings


def canonical_skill(name: str) -> str:
    """The vocabulary's name for a skill, or the name as given when it is not known."""
    return _by_spelling().get(name.strip().lower(), name.strip())


def spellings(word: str) -> list[str]:
    """Every way the vocabulary writes the skill `word` names (just `word` if unknown)."""
    canonical = _by_spelling().get(word.strip().lower())
    if canonical is None:
        return [word]
    return list(dict.fromkeys([canonical, *SYNONYMS[canonical]]))


def skill_key(name: str) -> str:
    """What two spellings of one skill share (k8s and Kubernetes: `kubernetes`)."""
    return canonical_skill(name).lower()


def extract_skills(text: str) -> list[str]:
    """The vocabulary's skills a text mentions, in vocabulary order."""
    return [canonical for canonical, pattern in _patterns() if pattern.search(text)]
