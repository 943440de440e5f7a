"""The skills vocabulary: canonical names, the synonyms recruiters and resumes use, and how
a skill written any way ("Python 3", "ReactJS", "Spring Boot 3", "ASP.NET (Core)",
"Apache Kafka") or mentioned in running text is recognised.

Shared by resume parsing, search and matching so that "k8s" on a resume and
"Kubernetes" on a requisition are the same skill.

Decisions a recruiter would make the same way:
- a version or an edition is the skill ("Python 3", "Java 17", "C++17", "Go 1.21");
- a framework named after its platform counts as the platform and back: "Spring Boot" is
  Spring and "ASP.NET (Core)" is .NET, as job ads and CVs use them interchangeably;
- a vendor's name in front is the skill ("Apache Kafka", "Microsoft Azure");
- false friends stay apart: Java is not JavaScript, C is not C# or C++, and in running
  text "Go" is the language only when written so ("in Go,", not "go-to" or "let's go"),
  like "Spring" (not "Spring 2019"), "Rust", "REST" and "C".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SYNONYMS: dict[str, tuple[str, ...]] = {
    "Python": ("python3", "py"),
    "Java": (),
    "Kotlin": (),
    "Scala": (),
    "Go": ("golang",),
    "Rust": (),
    "C": (),
    "C++": ("cpp", "c plus plus"),
    "C#": ("csharp", "c sharp", "c-sharp"),
    ".NET": ("dotnet", "dot net", "asp.net", "asp.net core", ".net core", ".net framework"),
    "JavaScript": ("js", "ecmascript", "es6", "es2015"),
    "TypeScript": ("ts",),
    "Node.js": ("node", "nodejs", "node js"),
    "React": ("reactjs", "react.js", "react js"),
    "Angular": ("angularjs",),
    "Vue": ("vue.js", "vuejs", "vue js"),
    "Ruby": (),
    "Rails": ("ruby on rails", "ror"),
    "PHP": (),
    "Django": (),
    "Flask": (),
    "FastAPI": (),
    "Spring": ("spring boot", "spring framework"),
    "SQL": (),
    "PostgreSQL": ("postgres", "psql", "postgre"),
    "MySQL": (),
    "MongoDB": ("mongo",),
    "Redis": (),
    "Elasticsearch": ("elastic search",),
    "OpenSearch": (),
    "Kafka": ("apache kafka", "kafka streams"),
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


# Spellings that are ordinary words or file endings in running text ("node" of a graph,
# ".py", "ts" in a date stamp): recognised in a skills list, not in prose.
NOT_IN_TEXT = frozenset({"node", "py", "ts", "ml", "ror", "postgre"})
# Skills whose name is also an ordinary word: in running text only as written here
# (case as given), so "go-to person", "Spring 2019", "the rest" and "C-level" are not
# skills. Each pattern is searched between word boundaries.
IN_TEXT_AS: dict[str, str] = {
    "Go": (
        r"(?i:golang)"
        r"|Go(?=[\s,/);:.]|$)(?!\.\w)(?!\s+(?:to|live|ahead|further|on|back|through|for|with|and\s+see)\b)"
    ),
    "C": r"C(?=\s*[,/);]|\s+(?:and|or|programming|developer|language|code)\b|\s*$)",
    "REST": r"REST(?:ful)?|(?i:restful)",
    "Spring": (
        r"(?i:spring\s+(?:boot|framework))"
        r"|Spring(?!\s+(?:19|20)\d\d)(?!\s+(?:semester|term|break)\b)"
    ),
    "Rust": r"Rust",
    "Spark": r"Spark|(?i:apache\s+spark|pyspark)",
    "Rails": r"Rails|(?i:ruby\s+on\s+rails)",
    "Machine Learning": r"ML|(?i:machine\s+learning)",
    "TypeScript": r"(?i:typescript)|TS",
    # "node" of a graph or a cluster is not Node.js; "Node" written so usually is.
    "Node.js": r"(?i:node\.?js|node\s+js)|Node(?!\s+(?:failure|pool|count)s?\b)",
}
_BOUNDARY_BEFORE = r"(?<![\w.+#-])"
_BOUNDARY_AFTER = r"(?![\w+#])"


@lru_cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for canonical, synonyms in SYNONYMS.items():
        if canonical in IN_TEXT_AS:
            body = IN_TEXT_AS[canonical]
            out.append((canonical, re.compile(rf"{_BOUNDARY_BEFORE}(?:{body}){_BOUNDARY_AFTER}")))
            continue
        names = sorted({canonical, *synonyms} - NOT_IN_TEXT, key=len, reverse=True)
        # Word-ish boundaries that still allow "C++", "C#", ".NET" and "Node.js".
        alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
        out.append(
            (canonical, re.compile(rf"(?<![\w.+#])(?:{alternatives}){_BOUNDARY_AFTER}", re.I))
        )
    return out


@lru_cache(maxsize=1)
def _by_spelling() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for canonical, synonyms in SYNONYMS.items():
        for spelling in (canonical.lower(), *synonyms):
            spellings.setdefault(spelling, canonical)
    return spellings


_SPACES = re.compile(r"\s+")
_PARENTHESES = re.compile(r"\s*\(([^)]*)\)\s*")
# "3", "3.11", "v2", "1.21+", "8.x", "17 LTS": an edition, not another skill.
_VERSION = re.compile(r"[\s-]*v?\d+(?:\.\d+)*(?:\+|\.x)?(?:\s+lts)?$")
_SEPARATE_VERSION = re.compile(r"[\s-]+v?\d+(?:\.\d+)*(?:\+|\.x)?(?:\s+lts)?$")
_JS_SUFFIX = re.compile(r"(?<=[a-z])[\s.]?js$")
_VENDOR = re.compile(r"^(?:apache|microsoft|ms|amazon|google|the)\s+")
_QUALIFIER = re.compile(
    r"\s+(?:framework|language|programming|development|developer|core|lang|stack)$"
)


def _written_forms(name: str) -> list[str]:
    """The forms `name` may be read as, from as written to most stripped."""
    first = _SPACES.sub(" ", name.strip().lower())
    seen, queue = [first], [first]
    while queue:
        form = queue.pop(0)
        outside = _PARENTHESES.sub(" ", form).strip()
        inside = [part.strip() for part in _PARENTHESES.findall(form)]
        for step in (
            outside,
            *inside,
            _VERSION.sub("", form),
            # "python3", "c++17", "vue3": a version written onto the name.
            re.sub(r"(?<=[a-z+#])\d+(?:\.\d+)*$", "", form),
            _JS_SUFFIX.sub("", form),
            _VENDOR.sub("", form),
            _QUALIFIER.sub("", form),
        ):
            if step and step not in seen and len(seen) < 24:
                seen.append(step)
                queue.append(step)
    return seen


@lru_cache(maxsize=4096)
def _recognised(name: str) -> str | None:
    by_spelling = _by_spelling()
    for form in _written_forms(name):
        if form in by_spelling:
            return by_spelling[form]
    return None


def canonical_skill(name: str) -> str:
    """The vocabulary's name for a skill written any way, or the name as given when the
    vocabulary does not know it."""
    return _recognised(name) or name.strip()


def spellings(word: str) -> list[str]:
    """Every way the vocabulary writes the skill `word` names (just `word` if unknown)."""
    canonical = _recognised(word)
    if canonical is None:
        return [word]
    return list(dict.fromkeys([canonical, *SYNONYMS[canonical]]))


def skill_key(name: str) -> str:
    """What two spellings of one skill share (k8s and Kubernetes: `kubernetes`). A skill
    the vocabulary does not know keys by its name without an edition ("Elixir 1.15" is
    `elixir`)."""
    known = _recognised(name)
    if known is not None:
        return known.lower()
    written = _SPACES.sub(" ", name.strip().lower())
    # Only an edition set apart ("elixir 1.15"): "ec2" or "s3" is a name, not "ec" or "s".
    return _SEPARATE_VERSION.sub("", written) or written


def extract_skills(text: str) -> list[str]:
    """The vocabulary's skills a text mentions, in vocabulary order."""
    return [canonical for canonical, pattern in _patterns() if pattern.search(text)]


def text_skill_keys(text: str | None) -> list[str]:
    """The keys of the vocabulary's skills a text mentions, sorted."""
    return sorted({skill_key(name) for name in extract_skills(text)}) if text else []


@dataclass(frozen=True, slots=True)
class SkillSearch:
    """How a search for one of the vocabulary's skills finds the people who have it.

    Every candidate's skills are kept by key, however written and wherever (the skills
    list, and the headline, work history and resume as `extract_skills` reads them), so
    `key` finds them all. The spellings say where a search of the words may look too:
    `in_text` anywhere (the index's analyser, which lower-cases and splits words at
    punctuation but keeps "node.js" and "asp.net" whole, reads them as the vocabulary
    does: "kubernetes", "golang", "react.js"), `in_list` only in a skills list (ordinary
    words in prose: "go", "spring", "rust"). A spelling in neither ("C#", ".NET",
    "CI/CD") is words the analyser would confuse with others' ("c" is also C++, "net" a
    safety net) and is found by key alone.
    """

    key: str
    in_text: tuple[str, ...]
    in_list: tuple[str, ...]


# Words the analyser keeps as written: letters and digits, dots only inside a word.
_PLAIN_WORD = r"[a-z0-9]+(?:\.[a-z0-9]+)*"
_PLAIN_WORDS = re.compile(rf"{_PLAIN_WORD}(?: {_PLAIN_WORD})*")


def _words(spelling: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", spelling.lower()))


@lru_cache(maxsize=1)
def _words_of_each_skill() -> dict[tuple[str, ...], frozenset[str]]:
    """The skills each run of words may stand for once punctuation is gone ("c": C, C#, C++)."""
    found: dict[tuple[str, ...], set[str]] = {}
    for canonical, synonyms in SYNONYMS.items():
        for spelling in (canonical, *synonyms):
            found.setdefault(_words(spelling), set()).add(canonical)
    return {words: frozenset(skills) for words, skills in found.items()}


@lru_cache(maxsize=1024)
def skill_search(word: str) -> SkillSearch | None:
    """How to search for the skill `word` names, or None if the vocabulary does not know it."""
    canonical = _recognised(word)
    if canonical is None:
        return None
    in_text: list[str] = []
    in_list: list[str] = []
    # Each spelling once, whatever its case, as the vocabulary first writes it.
    written: dict[str, str] = {}
    for spelling in (canonical, *SYNONYMS[canonical]):
        written.setdefault(spelling.lower(), spelling)
    for lower, spelling in written.items():
        if not _PLAIN_WORDS.fullmatch(lower):
            continue
        # Read in lower case, as the analyser reads every word.
        if canonical in extract_skills(f"worked with {lower} daily"):
            in_text.append(spelling)
        elif _words_of_each_skill().get(_words(spelling)) == frozenset({canonical}):
            in_list.append(spelling)
    return SkillSearch(skill_key(canonical), tuple(in_text), tuple(in_list))
