"""What a query of the required skills alone can reach on a labelled set, and a grading
by those skills alone.

Keyword search is graded with the requisition's required skills as `q=`; the sets'
judgements (tests/relevance/judge.py) also weigh what such a query cannot know (the
place, relocation, visa, the rate). Two figures put it in proportion:

- the *ceiling*: the judge's nDCG@10 and recall@50 of a ranking that puts everyone with
  every required skill first (any written form, anywhere in the profile or the resume,
  as the judge reads them), then everyone else by how many they have, with ties in any
  order (the mean over random orders, and the worst order);
- the *skills grading*: grades from the required skills alone (2 every one, 1 at least
  half, 0 fewer), to grade a ranking on what its query says.

Offline: reads the set and the judge's reading of skills, no servers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from bench.ranking_metrics import ndcg_at, recall_at
from tests.relevance.judge import skills_held

# Random tie orders averaged for the ceiling: enough for its mean to be steady to 0.005.
SHUFFLES = 200
SEED = 20261130


def _people(data: dict[str, Any]) -> list[set[str]]:
    resumes = data.get("resumes") or {}
    return [
        skills_held({**c, "resume_text": resumes.get(str(i))})
        for i, c in enumerate(data["candidates"])
    ]


def _required(requisition: dict[str, Any]) -> set[str]:
    # The judge's keys for the requisition's skills: read as a person listing them.
    return skills_held({"skills": [{"name": s} for s in requisition["required_skills"]]})


def _coverage(data: dict[str, Any]) -> list[dict[str, int]]:
    """For each requisition, how many of its required skills each person (by line) has."""
    people = _people(data)
    return [
        {str(i): len(_required(r) & held) for i, held in enumerate(people)}
        for r in data["requisitions"]
    ]


def skill_grades(data: dict[str, Any]) -> list[dict[str, int]]:
    """For each requisition, grades by its required skills alone (people graded 0 left out)."""
    graded = []
    for requisition, covered in zip(data["requisitions"], _coverage(data), strict=True):
        needed = len(_required(requisition))
        graded.append(
            {line: 2 if n == needed else 1 for line, n in covered.items() if n and n * 2 >= needed}
        )
    return graded


def ceiling(data: dict[str, Any]) -> dict[str, float]:
    """The judge's figures of the best ranking a skills-only query can be expected to make."""
    rng = random.Random(SEED)
    mean_ndcg: list[float] = []
    mean_recall: list[float] = []
    worst_ndcg: list[float] = []
    worst_recall: list[float] = []
    for judged, covered in zip(data["judgements"], _coverage(data), strict=True):
        lines = list(covered)
        ndcgs, recalls = [], []
        for _ in range(SHUFFLES):
            rng.shuffle(lines)
            ranked = sorted(lines, key=lambda line: -covered[line])
            ndcgs.append(ndcg_at(ranked, judged))
            recalls.append(recall_at(ranked, judged))
        mean_ndcg.append(_mean(ndcgs))
        mean_recall.append(_mean(recalls))
        worst = sorted(lines, key=lambda line: (-covered[line], judged.get(line, 0)))
        worst_ndcg.append(ndcg_at(worst, judged))
        worst_recall.append(recall_at(worst, judged))
    return {
        "ceiling_ndcg10": _mean(mean_ndcg),
        "ceiling_recall50": _mean(mean_recall),
        "ceiling_worst_ndcg10": _mean(worst_ndcg),
        "ceiling_worst_recall50": _mean(worst_recall),
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
