"""Evaluation metrics as plain functions, tested on hand-computed fixtures."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

CITATION = re.compile(r"\[\d+\]")
WHITESPACE = re.compile(r"\s+")


def normalize_answer(text: str) -> str:
    """NFKC, citation markers and whitespace removed: the form must_include is checked in."""
    text = unicodedata.normalize("NFKC", text)
    return WHITESPACE.sub("", CITATION.sub("", text))


def answer_length(text: str) -> int:
    """Characters of an answer, citation markers and whitespace excluded."""
    return len(normalize_answer(text))


def is_correct(answer: str, abstained: bool, must_include: list[str], answerable: bool,
               max_chars: int = 200) -> bool:
    """An answerable question is right when answered, short enough, and every
    must_include string is in the answer; an unanswerable one when abstained."""
    if not answerable:
        return abstained
    if abstained:
        return False
    norm = normalize_answer(answer)
    return len(norm) <= max_chars and all(normalize_answer(m) in norm for m in must_include)


def char_f1(prediction: str, reference: str) -> float:
    """Character-level F1 between two answers (bag of characters)."""
    pred = Counter(normalize_answer(prediction))
    ref = Counter(normalize_answer(reference))
    common = sum((pred & ref).values())
    if not pred or not ref or not common:
        return float(pred == ref and not pred)
    precision = common / sum(pred.values())
    recall = common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def first_relevant_rank(relevant: list[bool]) -> int | None:
    """1-based rank of the first relevant result, or None."""
    for rank, flag in enumerate(relevant, start=1):
        if flag:
            return rank
    return None


def recall_at(relevant: list[bool], k: int) -> float:
    """1.0 when a relevant result is in the top ``k`` (success@k)."""
    return float(any(relevant[:k]))


def mrr_at(relevant: list[bool], k: int = 10) -> float:
    """Reciprocal rank of the first relevant result within ``k``."""
    rank = first_relevant_rank(relevant[:k])
    return 1.0 / rank if rank else 0.0


def ndcg_at(relevant: list[bool], k: int = 10, n_relevant: int | None = None) -> float:
    """Binary nDCG@k; the ideal ranking puts ``n_relevant`` (default: the
    number of relevant results retrieved, at least 1) relevant results first."""
    dcg = sum(1.0 / math.log2(r + 1) for r, flag in enumerate(relevant[:k], start=1) if flag)
    ideal_n = n_relevant if n_relevant is not None else max(1, sum(relevant[:k]))
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(ideal_n, k) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def abstention_scores(abstained: list[bool], answerable: list[bool]) -> dict[str, float]:
    """Precision and recall of abstaining (positive = unanswerable), and the
    false-abstention rate over answerable questions."""
    tp = sum(a and not ok for a, ok in zip(abstained, answerable, strict=True))
    fp = sum(a and ok for a, ok in zip(abstained, answerable, strict=True))
    fn = sum(not a and not ok for a, ok in zip(abstained, answerable, strict=True))
    n_answerable = sum(answerable)
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "false_abstention_rate": fp / n_answerable if n_answerable else 0.0,
    }


def locate_quote(corpus: str, quote: str) -> tuple[int, int] | None:
    """Offsets of ``quote`` in ``corpus`` with whitespace ignored on both sides."""
    target = WHITESPACE.sub("", quote)
    if not target:
        return None
    kept = [(i, c) for i, c in enumerate(corpus) if not c.isspace()]
    flat = "".join(c for _, c in kept)
    at = flat.find(target)
    if at < 0:
        return None
    return kept[at][0], kept[at + len(target) - 1][0] + 1


def covers(span: tuple[int, int], quote: tuple[int, int], corpus: str) -> bool:
    """True when ``span`` covers at least half of the quote's non-space characters."""
    total = sum(1 for c in corpus[quote[0] : quote[1]] if not c.isspace())
    lo, hi = max(span[0], quote[0]), min(span[1], quote[1])
    inside = sum(1 for c in corpus[lo:hi] if not c.isspace()) if hi > lo else 0
    return total > 0 and inside * 2 >= total
