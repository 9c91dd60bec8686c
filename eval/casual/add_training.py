"""Add helpers' questions to a training set, never near-copies of a test question.

Usage: python eval/casual/add_training.py extra_g.jsonl extra_h.jsonl ...
       python eval/casual/add_training.py --into holdout eval/holdout/extra_fa.jsonl

Each new question is checked against the report (every ``must_include``
string and every evidence quote is in it) and against the question sets:
one whose character bigrams overlap a test question's (``eval/casual/test.jsonl``,
``eval/holdout/test.jsonl``) by ``NEAR`` or more (Jaccard) is dropped, so no
near-copy of a test question is fitted on (nor of a set named with
``--kept-back``, e.g. this stop's fresh sets); so is one that repeats a question
already held for fitting or evaluation. The rest are appended to
``eval/casual/train.jsonl`` (casual wording) or, with ``--into holdout``,
to ``eval/holdout/train.jsonl`` (report wording); the counts are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1]
REPORT = EVAL.parent / "corpus" / "china-digital-trade-report-2022.txt"
TESTS = (EVAL / "casual" / "test.jsonl", EVAL / "holdout" / "test.jsonl")
TRAIN = EVAL / "casual" / "train.jsonl"
TRAINING_SETS = {"casual": TRAIN, "holdout": EVAL / "holdout" / "train.jsonl"}
HELD = (EVAL / "questions.jsonl", EVAL / "holdout" / "dev.jsonl", EVAL / "casual" / "dev.jsonl", *TRAINING_SETS.values())
NEAR = 0.45
KEYS = {"id", "question", "answer", "must_include", "evidence", "type", "answerable"}


def rows(path: Path) -> list[dict]:
    """A question file's objects."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def bigrams(text: str) -> set[str]:
    """The character bigrams of a question, spaces and punctuation left out."""
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def overlap(a: set[str], b: set[str]) -> float:
    """Jaccard overlap of two bigram sets."""
    return len(a & b) / len(a | b) if a | b else 0.0


def problem(row: dict, report: str) -> str | None:
    """Why a question cannot be used, or ``None``."""
    if set(row) != KEYS:
        return f"keys {sorted(set(row) ^ KEYS)}"
    if row["answerable"] and not row["must_include"]:
        return "answerable without must_include"
    missing = [m for m in row["must_include"] + row["evidence"] if m not in report]
    return f"not in the report: {missing}" if missing else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="helpers' question files")
    parser.add_argument("--into", default="casual", choices=sorted(TRAINING_SETS),
                        help="the training set to extend: casual or report wording")
    parser.add_argument("--kept-back", nargs="*", default=[], type=Path,
                        help="more sets kept back for validation, held to the same nearness check as the tests")
    args = parser.parse_args(argv)
    report = REPORT.read_text("utf-8")
    tests = [bigrams(r["question"]) for f in (*TESTS, *args.kept_back) for r in rows(f)]
    held = {r["question"] for f in HELD if f.exists() for r in rows(f)}
    ids = {r["id"] for f in HELD if f.exists() for r in rows(f)}
    kept, dropped = [], {"invalid": 0, "near a test question": 0, "repeated": 0}
    for path in args.paths:
        for row in rows(Path(path)):
            why = problem(row, report)
            if why is not None:
                print(f"{row.get('id')}: {why}", file=sys.stderr)
                dropped["invalid"] += 1
            elif max((overlap(bigrams(row["question"]), t) for t in tests), default=0.0) >= NEAR:
                dropped["near a test question"] += 1
            elif row["question"] in held or row["id"] in ids:
                dropped["repeated"] += 1
            else:
                held.add(row["question"])
                ids.add(row["id"])
                kept.append(row)
    with TRAINING_SETS[args.into].open("a", encoding="utf-8") as out:
        for row in kept:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"added {len(kept)} ({sum(not r['answerable'] for r in kept)} unanswerable); dropped {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
