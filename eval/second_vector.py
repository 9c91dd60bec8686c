"""Does a second query vector (m3e-small) in the fusion help casual wording?

    .venv/bin/python eval/second_vector.py [--questions eval/casual/dev.jsonl ...]

Builds an m3e-small index of the same passages in a temporary folder, then
for every question fuses, by reciprocal rank with the retriever's table-row
cap, the e5 dense ranking and BM25 (today's hybrid, equal weights) or those
two and the m3e dense ranking, and reports
recall@5 and mrr@10 against the questions' evidence, with the extra
forward's time. Dev splits only: the decision is taken on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from reportqa.evaluation.metrics import mrr_at, recall_at
from reportqa.evaluation.runner import Evaluator, load_questions
from reportqa.index.dense import top_k
from reportqa.retrieval.fusion import reciprocal_rank_fusion
from reportqa.retrieval.retriever import diversify
from reportqa.service import load_components
from reportqa.settings import Settings

DEFAULT = ("eval/casual/dev.jsonl", "eval/holdout/dev.jsonl")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", nargs="+", default=list(DEFAULT))
    args = parser.parse_args()
    e5 = load_components(Settings(), build_if_needed=True)
    with tempfile.TemporaryDirectory() as tmp:
        m3e = load_components(Settings(embedding_backend="sentence-transformers", index_dir=Path(tmp)),
                              build_if_needed=True)
        position = {p.id: k for k, p in enumerate(e5.index.passages[:])}
        evaluator = Evaluator(e5.answerer, {d.doc_id: d.text for d in e5.documents.values()})
        for name in args.questions:
            questions = [q for q in load_questions(Path(name)) if q.answerable]
            figures: dict[str, list[float]] = {"two": [], "three": [], "r5_two": [], "r5_three": []}
            forward_ms = []
            for q in questions:
                a = e5.answerer.analyze(q.question)
                va = e5.retriever.encode(a.text)
                began = time.perf_counter()
                vb = m3e.retriever.encode(a.text)
                forward_ms.append((time.perf_counter() - began) * 1000)
                depth = 50
                _, dense_a = e5.retriever.dense_candidates(va, depth)
                _, dense_b_local = m3e.retriever.dense_candidates(vb, depth)
                dense_b = np.array([position[m3e.index.passages[i].id] for i in dense_b_local.tolist()])
                bm25_index = e5.index.search.bm25  # type: ignore[attr-defined]  # the file store's
                scores = bm25_index.scores(e5.retriever.tokenizer.tokenize(a.search_text))
                best, ids = top_k(scores, depth)
                bm25 = ids[0][best[0] > 0]
                for key, lists in (("two", [dense_a, bm25]), ("three", [dense_a, dense_b, bm25])):
                    fused = reciprocal_rank_fusion(lists, [1.0 / len(lists)] * len(lists), 60)
                    ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
                    order = [d for d, _ in diversify(ranked, e5.index.passages, e5.retriever.rows_per_table)][:10]
                    flags = [evaluator.relevant(e5.index.passages[d], q) for d in order]
                    figures[key].append(mrr_at(flags, 10))
                    figures[f"r5_{key}"].append(recall_at(flags, 5))
            mean = {k: round(sum(v) / len(v), 4) for k, v in figures.items()}
            print(f"{name} ({len(questions)} answerable): hybrid e5+bm25 recall@5 {mean['r5_two']} "
                  f"mrr@10 {mean['two']}; + m3e recall@5 {mean['r5_three']} mrr@10 {mean['three']}; "
                  f"m3e forward p50 {sorted(forward_ms)[len(forward_ms) // 2]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
