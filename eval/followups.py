"""Follow-up questions answered as often as the same questions asked in full.

For each conversation of ``eval/followups.jsonl`` (first question, follow-up,
the follow-up asked in full, must_include), the follow-up is answered after
the first question (resolved by ``Answerer.answer_turn``) and the full
question alone; both are scored with the evaluation's ``is_correct``.

    .venv/bin/python eval/followups.py --split dev [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from reportqa.evaluation.metrics import is_correct
from reportqa.service import load_components
from reportqa.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test"], required=True)
    parser.add_argument("--questions", default="eval/followups.jsonl")
    parser.add_argument("--json", help="write the per-conversation results here")
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.questions).read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["split"] == args.split]
    answerer = load_components(Settings(), build_if_needed=True).answerer
    out = []
    for r in rows:
        resolution, follow = answerer.answer_turn([r["first"]], r["followup"])
        full = answerer.answer(r["full"])
        out.append({**r, "resolved": resolution.resolved,
                    "followup_correct": is_correct(follow.text, follow.abstained, r["must_include"], True),
                    "full_correct": is_correct(full.text, full.abstained, r["must_include"], True),
                    "followup_answer": follow.text, "full_answer": full.text})
    follow_acc = sum(o["followup_correct"] for o in out) / len(out)
    full_acc = sum(o["full_correct"] for o in out) / len(out)
    by_kind = {}
    for kind in sorted({o["kind"] for o in out}):
        sel = [o for o in out if o["kind"] == kind]
        by_kind[kind] = (sum(o["followup_correct"] for o in sel), sum(o["full_correct"] for o in sel), len(sel))
    print(f"{args.split}: {len(out)} conversations; follow-up accuracy {follow_acc:.3f}, full {full_acc:.3f}, "
          f"ratio {follow_acc / max(full_acc, 1e-9):.3f}")
    for kind, (f, g, n) in by_kind.items():
        print(f"  {kind:<8} follow-up {f}/{n}  full {g}/{n}")
    if args.json:
        Path(args.json).write_text(json.dumps({"follow_up_accuracy": round(follow_acc, 4),
                                               "full_accuracy": round(full_acc, 4), "rows": out},
                                              ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
