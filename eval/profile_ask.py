"""Profile the ask hot path: where a question's time goes.

Usage: .venv/bin/python eval/profile_ask.py [--out eval/reports/profile.txt]
(needs `pip install pyinstrument`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pyinstrument import Profiler

from reportqa.evaluation.runner import load_questions
from reportqa.service import load_components
from reportqa.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="eval/reports/profile.txt")
    args = parser.parse_args()
    comps = load_components(Settings())
    questions = [q.question for q in load_questions(Path("eval/questions.jsonl"))]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in questions:
        comps.answerer.answer(q)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
