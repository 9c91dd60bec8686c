"""Tests for reportqa.bench: the synthetic corpus generator and a smoke run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reportqa.bench.runner import synthetic_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "china-digital-trade-report-2022.txt"


def test_synthetic_corpus_perturbs_numbers_but_keeps_years_footers_and_markers(tmp_path: Path) -> None:
    source = CORPUS.read_text("utf-8")
    paths = synthetic_corpus(source, 3, tmp_path, seed=1)
    assert [p.name for p in paths] == ["report-000.txt", "report-001.txt", "report-002.txt"]
    assert paths[0].read_text("utf-8") == source  # the first document is the report itself
    other = paths[1].read_text("utf-8")
    assert other != source
    assert other.count("\n") == source.count("\n")
    assert "- 9 -" in other and "- 39 -" in other
    assert "数字贸易1成为" in other  # one-digit footnote markers stay
    assert re.findall(r"(?:19|20)\d\d年", other) == re.findall(r"(?:19|20)\d\d年", source)
    assert "3727.1" in source and "3727.1" not in other.replace(" ", "")
    assert synthetic_corpus(source, 2, tmp_path / "again", seed=1)[1].read_text("utf-8") == other


@pytest.mark.slow
def test_bench_quick_smoke(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_EMBEDDING_BACKEND="hash", REPORTQA_CORPUS_DIR=str(CORPUS.parent),
               HF_HUB_OFFLINE="1")
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "reportqa.cli", "bench", "--quick", "--no-reference", "--json", str(out),
         "--report", str(tmp_path / "report")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text("utf-8"))
    assert {"build_s", "embed_p50_ms", "search_p50_ms", "ask_p50_ms", "ask_p95_ms", "ask_over_embed",
            "forwards_per_question", "rss_mb", "http", "reference", "ask_vs_reference",
            "build_vs_reference"} <= set(figures)
    assert set(figures["search_p50_ms"]) == {"hybrid", "dense", "bm25"}
    assert figures["forwards_per_question"] == 1.0
    assert set(figures["odd_answer_step_ms"]) == {"junk_letters", "repeated_char", "digits", "mixed_cues"}
    assert set(figures["answer_step_ms"]) == {"p50", "max"}
    burst = figures["burst"]
    assert burst["clients"] == 50 and burst["accepted"] + burst["rejected_503"] == 50 and burst["other_errors"] == 0
    assert figures["questions"] == 10 and figures["passages"] == 177
    assert set(figures["http"]) == {"c1", "c8"}
    assert all(level["errors"] == 0 and level["requests"] > 0 for level in figures["http"].values())
    assert figures["reference"] is None and figures["ask_vs_reference"] is None
    assert figures["rss_mb"] > 50
    assert (tmp_path / "report" / "bench.md").read_text("utf-8").startswith("# reportqa benchmark")
    assert (tmp_path / "report" / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.parametrize(("store", "docs"), [("faiss", 2), ("milvus", 1)])
def test_store_bench_measures_its_own_index_only(tmp_path: Path, store: str, docs: int) -> None:
    index = tmp_path / "users-index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_CORPUS_DIR=str(CORPUS.parent), REPORTQA_INDEX_DIR=str(index), HF_HUB_OFFLINE="1")
    out = tmp_path / "stores.json"
    result = subprocess.run(
        [sys.executable, "-m", "reportqa.cli", "bench", "--store", store, "--docs", str(docs), "--fake-embedder",
         "--quick", "--json", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text("utf-8"))
    # the N copies and the one added, 177 passages and 516 distinct sentences each
    assert (figures["store"], figures["docs"], figures["passages"], figures["sentences"]) == (
        store, docs, 177 * (docs + 1), 516 * (docs + 1))
    assert set(figures["search_p50_ms"]) == set(figures["search_p99_ms"]) == {"hybrid", "dense", "bm25"}
    assert (figures["milvus_rss_mb"] is None) == (store == "faiss")
    assert not index.exists()  # the user's index is never touched
