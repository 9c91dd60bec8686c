"""Choosing a decision threshold on scored questions.

``eval/fit_reader.py`` uses it to set the abstention model's threshold.
"""

from __future__ import annotations


def best_threshold(supports: list[float], answerable: list[bool], right_if_answered: list[bool]) -> float:
    """The threshold maximising accuracy: answerable questions count when
    answered and right, unanswerable ones when their support is below it.
    Ties go to the threshold with fewer false abstentions (the lower one)."""
    candidates = sorted(set(supports)) + [max(supports, default=0.0) + 1e-6]
    best, best_acc = 0.0, -1.0
    for t in candidates:
        acc = sum(
            (s >= t and ok) if a else (s < t)
            for s, a, ok in zip(supports, answerable, right_if_answered, strict=True)
        )
        if acc > best_acc:
            best, best_acc = t, acc
    return best
