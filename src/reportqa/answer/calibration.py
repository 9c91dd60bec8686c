"""Choosing a decision threshold on scored questions.

``eval/fit_reader.py`` uses it to set the abstention model's threshold.
"""

from __future__ import annotations

import numpy as np


def _grid(step: float) -> np.ndarray:
    """Thresholds from 0 to 1 in steps of ``step``, rounded so that 0.35 is 0.35."""
    return np.round(np.arange(0.0, 1.0 + step / 2, step), 10)


def accuracy_at(threshold: float, supports: np.ndarray, answerable: np.ndarray, right: np.ndarray) -> int:
    """Questions decided right at ``threshold``: answerable ones answered
    (support at or above it) and right, unanswerable ones below it."""
    answered = supports >= threshold
    return int((answered & answerable & right).sum() + (~answered & ~answerable).sum())


def best_threshold(supports: list[float], answerable: list[bool], right_if_answered: list[bool],
                   window: float = 0.0, step: float = 0.01) -> float:
    """The threshold maximising accuracy.

    With ``window`` 0, the exact maximum over the supports themselves, ties
    to the lower threshold (fewer false abstentions). With a window, the
    threshold on a grid of ``step`` over [0, 1] whose neighbourhood (± the
    window) has the highest mean accuracy: where accuracy is flat over a
    stretch of thresholds, as it is when abstaining trades as many right
    abstentions for as many withheld answers, this picks inside the stretch
    rather than wherever its highest point happens to fall, so that a refit
    on nearly the same questions does not move the threshold far.
    """
    s = np.asarray(supports, dtype=np.float64)
    a = np.asarray(answerable, dtype=bool)
    ok = np.asarray(right_if_answered, dtype=bool)
    if window <= 0:
        candidates = sorted(set(s.tolist())) + [float(s.max(initial=0.0)) + 1e-6]
        scores = [accuracy_at(t, s, a, ok) for t in candidates]
        return candidates[int(np.argmax(scores))]
    grid = _grid(step)
    acc = np.array([accuracy_at(t, s, a, ok) for t in grid], dtype=np.float64)
    k = int(round(window / step))
    smoothed = [acc[max(0, i - k): i + k + 1].mean() for i in range(len(grid))]
    return float(grid[int(np.argmax(smoothed))])


def capped_threshold(supports: list[float], answerable: list[bool], cap: float, step: float = 0.01) -> float:
    """The highest threshold on a grid of ``step`` over [0, 1] at which at
    most a share ``cap`` of the answerable questions is withheld (their
    support below it): the false-abstention rate a service promises, whatever
    share of the questions have no answer in the report."""
    s = np.asarray(supports, dtype=np.float64)[np.asarray(answerable, dtype=bool)]
    if not len(s):
        return 1.0
    allowed = [t for t in _grid(step) if (s < t).mean() <= cap]
    return float(max(allowed))
