"""The Milvus store beside the file store, on the same index and questions.

The built index (``index/``, the default model) is copied into a fresh Milvus
Lite file without re-embedding (``copy_index``), both are loaded with the same
model, and for every question of the set this compares dense top 10 (passage
ids), BM25 top 10 (overlap: Milvus's BM25 over our jieba tokens, against ours)
and the hybrid answer; then the answer accuracy of each store.

    .venv/bin/python eval/store_parity.py [--questions eval/questions.jsonl]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reportqa.evaluation.metrics import is_correct
from reportqa.evaluation.runner import load_questions
from reportqa.index.files import FileStore
from reportqa.index.milvus import MilvusStore
from reportqa.index.store import copy_index
from reportqa.service import chunking_config, load_components
from reportqa.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default="eval/questions.jsonl")
    args = parser.parse_args()
    files = load_components(Settings(), build_if_needed=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store="milvus", milvus_uri=str(Path(tmp) / "milvus.db"))
        began = time.perf_counter()
        copy_index(FileStore(files.settings.index_dir),
                   MilvusStore(settings.milvus_uri or "", files.index.manifest.embedding.model,
                               chunking_config(settings), files.embedder.dim))
        copy_s = time.perf_counter() - began
        milvus = load_components(settings, embedder=files.embedder)
        questions = load_questions(Path(args.questions))
        dense_same = lexical = same_answer = 0.0
        right = {"faiss": 0, "milvus": 0}
        times: dict[str, list[float]] = {"faiss": [], "milvus": []}
        for q in questions:
            ids = {}
            for name, comps in (("faiss", files), ("milvus", milvus)):
                ids[name] = ([h.passage.id for h in comps.retriever.search(q.question, 10, "dense")],
                             {h.passage.id for h in comps.retriever.search(q.question, 10, "bm25")})
            dense_same += ids["faiss"][0] == ids["milvus"][0]
            lexical += len(ids["faiss"][1] & ids["milvus"][1]) / max(len(ids["faiss"][1]), 1)
            answers = {}
            for name, comps in (("faiss", files), ("milvus", milvus)):
                t = time.perf_counter()
                answers[name] = comps.answerer.answer(q.question)
                times[name].append((time.perf_counter() - t) * 1000)
                right[name] += is_correct(answers[name].text, answers[name].abstained, list(q.must_include),
                                          q.answerable)
            same_answer += answers["faiss"].text == answers["milvus"].text
    n = len(questions)
    print(f"{n} questions of {args.questions}; index copied into Milvus Lite in {copy_s:.1f} s")
    print(f"dense top 10 identical (ids and order): {dense_same / n:.3f}")
    print(f"BM25 top 10 overlap: {lexical / n:.3f}")
    print(f"hybrid answers identical: {same_answer / n:.3f}")
    print(f"accuracy: faiss {right['faiss'] / n:.3f}, milvus {right['milvus'] / n:.3f}")
    print(f"ask p50: faiss {statistics.median(times['faiss']):.1f} ms, milvus {statistics.median(times['milvus']):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
