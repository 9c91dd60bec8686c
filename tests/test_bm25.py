"""BM25 over jieba tokens (``index/bm25.py``): hand-computed scores, parity with rank_bm25."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from conftest import QUERIES
from reportqa.chunking import Passage
from reportqa.index import (
    BM25Index,
)
from reportqa.segment import Tokenizer

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
