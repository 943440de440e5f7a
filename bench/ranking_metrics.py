"""The figures a ranking is graded by: nDCG@10 and recall@50 against graded judgements."""

from __future__ import annotations

import math
from collections.abc import Sequence

# The grade from which a candidate counts as relevant (good or excellent) for recall.
RELEVANT = 2


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k])))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(c, 0) for c in ranked]) / ideal if ideal else 1.0


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = 50) -> float:
    """The share of the relevant candidates found in the top k, of as many as fit in k.

    Capped: a requisition with 80 good candidates has found all it could when its top 50
    are all good (uncapped, the first set's best possible figure would be 0.928).
    """
    relevant = {c for c, g in grades.items() if g >= RELEVANT}
    return len(relevant & set(ranked[:k])) / min(k, len(relevant)) if relevant else 1.0
