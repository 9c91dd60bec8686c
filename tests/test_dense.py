"""Dense search (``index/dense.py``) and the embedding model's copies (``index/embedder.py``).

The model-copies test is marked ``slow``: it uses the real default model."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from reportqa.index import (
    FaissIndex,
    NumpyIndex,
)
from reportqa.index.dense import top_k
from reportqa.service import Components


def unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


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


# -- the real model ----------------------------------------------------------------------


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
