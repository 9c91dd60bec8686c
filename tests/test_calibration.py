"""The abstention threshold (answer/calibration.py), on hand-counted questions."""

from __future__ import annotations

import numpy as np

from reportqa.answer.calibration import accuracy_at, best_threshold, capped_threshold

# supports of six questions: answerable and right at 0.9, 0.7, 0.35; answerable but wrong at 0.6;
# unanswerable at 0.5 and 0.2. Questions right at a threshold t: 3 for t <= 0.2, 4 in (0.2, 0.35],
# 3 in (0.35, 0.5], 4 in (0.5, 0.7], 3 in (0.7, 0.9], 2 above.
SUPPORTS = [0.9, 0.7, 0.35, 0.6, 0.5, 0.2]
ANSWERABLE = [True, True, True, True, False, False]
RIGHT = [True, True, True, False, False, False]


def test_accuracy_at_counts_right_answers_and_right_abstentions() -> None:
    s, a, ok = np.array(SUPPORTS), np.array(ANSWERABLE), np.array(RIGHT)
    # at 0.55: 0.9 and 0.7 answered right (0.6 answered wrong), 0.5 and 0.2 withheld
    assert [accuracy_at(t, s, a, ok) for t in (0.1, 0.3, 0.55, 0.95)] == [3, 4, 4, 2]


def test_the_exact_maximum_goes_to_the_lower_threshold() -> None:
    # of the supports, 0.35 is the first threshold with 4 right (0.6 ties it)
    assert best_threshold(SUPPORTS, ANSWERABLE, RIGHT) == 0.35


def test_a_window_picks_inside_the_best_neighbourhood() -> None:
    # averaged over ±0.1 on a 0.01 grid: around 0.60 (0.50-0.70) 20 of 21 points have 4 right,
    # as around 0.61; around 0.28 (0.18-0.38) only 15 of 21. The first of the best wins.
    assert best_threshold(SUPPORTS, ANSWERABLE, RIGHT, window=0.1) == 0.6


def test_the_cap_keeps_the_share_of_answerable_questions_withheld() -> None:
    # the four answerable questions have supports 0.9, 0.7, 0.6, 0.35: withholding none allows
    # thresholds up to 0.35, one (a quarter) up to 0.6, two (half) up to 0.7, all up to 1
    assert [capped_threshold(SUPPORTS, ANSWERABLE, cap) for cap in (0.0, 0.25, 0.5, 1.0)] == [0.35, 0.6, 0.7, 1.0]


def test_no_answerable_question_caps_nothing() -> None:
    assert capped_threshold([0.4, 0.1], [False, False], 0.08) == 1.0
