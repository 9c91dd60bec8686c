"""Grid over the answer composer's sentence-score weights on the question set.

Usage: .venv/bin/python eval/tune.py [--out eval/tuning.md]

Retrieval is run once per question; each weight setting re-scores the same
candidates, calibrates its abstention threshold and is scored for accuracy.
The chosen weights are the defaults of ComposerConfig.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from reportqa.answer.calibration import best_threshold
from reportqa.answer.composer import Answerer, ComposerConfig
from reportqa.evaluation.metrics import is_correct
from reportqa.evaluation.runner import load_questions
from reportqa.service import load_components
from reportqa.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="eval/tuning.md")
    parser.add_argument("--questions", default="eval/questions.jsonl")
    args = parser.parse_args()
    questions = load_questions(Path(args.questions))
    comps = load_components(Settings())
    base = ComposerConfig()
    cached = []
    for q in questions:
        vector = comps.retriever.encode(q.question)
        hits = comps.retriever.search_vector(q.question, vector, base.top_k)
        cached.append((q, vector, hits))
    rows = []
    grid = itertools.product([0.35, 0.45, 0.6], [0.25, 0.35, 0.45], [0.0, 0.05, 0.1], [0.1, 0.15, 0.25])
    for dense, coverage, rank, critical in grid:
        config = replace(base, dense_weight=dense, coverage_weight=coverage, rank_weight=rank,
                         critical_weight=critical, abstain_threshold=-1e9)
        answerer = Answerer(comps.retriever, config)
        supports, answerable, right, texts = [], [], [], []
        for q, vector, hits in cached:
            answer = answerer._compose(q.question, vector, hits,
                                       answerer.candidates(q.question, vector, hits))
            supports.append(answer.support)
            answerable.append(q.answerable)
            right.append(is_correct(answer.text, False, list(q.must_include), True))
            texts.append(answer.text)
        threshold = best_threshold(supports, answerable, right)
        correct = sum((s >= threshold and ok) if a else (s < threshold)
                      for s, a, ok in zip(supports, answerable, right, strict=True))
        rows.append((correct / len(questions), dense, coverage, rank, critical, round(threshold, 4)))
    rows.sort(reverse=True)
    lines = ["# Composer weight grid (hybrid, default model)", "",
             "Command: `.venv/bin/python eval/tune.py`", "",
             "| accuracy | dense | coverage | rank | critical | threshold |", "|---|---|---|---|---|---|"]
    lines += [f"| {a:.4f} | {d} | {c} | {r} | {k} | {t} |" for a, d, c, r, k, t in rows[:15]]
    current = [r for r in rows if r[1:5] == (base.dense_weight, base.coverage_weight, base.rank_weight,
                                              base.critical_weight)]
    if current:
        lines += ["", f"Current defaults: accuracy {current[0][0]:.4f}"]
    Path(args.out).write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
