"""Our BM25 (``index/bm25.py``) beside ``bm25s`` at N report-like documents.

Same jieba tokens for both; figures: build seconds, and per query the time to
score every passage and take the top 50, p50 over the questions; and how often
the top 10 agree (bm25s ``robertson`` is the Okapi idf without rank_bm25's
epsilon floor, so a few ties and near-ties may order differently).

    .venv/bin/python eval/bm25_compare.py --docs 100
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from reportqa.bench.runner import synthetic_corpus
from reportqa.chunking import Chunker
from reportqa.evaluation.runner import load_questions
from reportqa.index.bm25 import BM25Index
from reportqa.index.dense import top_k
from reportqa.index.store import index_text
from reportqa.ingest import CorpusReader, ReportParser
from reportqa.segment import Tokenizer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    args = parser.parse_args()
    import bm25s

    tokenizer = Tokenizer()
    source = Path("corpus/china-digital-trade-report-2022.txt").read_text("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        files = synthetic_corpus(source, args.docs, Path(tmp))
        reader, chunker = CorpusReader(), Chunker()
        passages = [p for f in files for p in chunker.chunk(ReportParser().parse(reader.read_file(f)))]
    tokens = [tokenizer.tokenize(index_text(p)) for p in passages]
    queries = [tokenizer.tokenize(q.question) for q in load_questions(Path("eval/questions.jsonl"))]
    began = time.perf_counter()
    ours = BM25Index.build(tokens)
    ours_build = time.perf_counter() - began
    began = time.perf_counter()
    theirs = bm25s.BM25(k1=1.5, b=0.75, method="robertson")
    theirs.index(tokens, show_progress=False)
    theirs_build = time.perf_counter() - began
    t_ours, t_theirs, agree = [], [], []
    for q in queries:
        t = time.perf_counter()
        a = top_k(ours.scores(q), 50)[1][0]
        t_ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        b = top_k(np.asarray(theirs.get_scores(q), dtype=np.float64), 50)[1][0]
        t_theirs.append((time.perf_counter() - t) * 1000)
        agree.append(len(set(a[:10].tolist()) & set(b[:10].tolist())) / 10)
    print(f"{args.docs} documents, {len(passages)} passages, {len(queries)} queries")
    print(f"build s: ours {ours_build:.2f}  bm25s {theirs_build:.2f}")
    print(f"score+top50 p50 ms: ours {statistics.median(t_ours):.2f}  bm25s {statistics.median(t_theirs):.2f}")
    print(f"top-10 overlap: mean {statistics.mean(agree):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
