"""Retrieval (``retrieval/``): fusion, modes, the per-table cap, thread safety.

Plumbing runs on the hash-embedder index; tests marked ``slow`` use the real
default model (``components``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import QUERIES, STORES, on_both_stores, summary
from reportqa.chunking import Passage, Sentence
from reportqa.index.bm25 import BM25Index
from reportqa.index.store import index_text
from reportqa.retrieval import Retriever, reciprocal_rank_fusion, weighted_fusion
from reportqa.retrieval.fusion import min_max
from reportqa.retrieval.retriever import diversify, with_definition
from reportqa.service import Components
from reportqa.settings import Settings


# -- one suite, both stores: every test here runs on the index files and on Milvus Lite
@pytest.fixture(params=STORES)
def components(request: pytest.FixtureRequest, real_components: Components) -> Components:
    """The real index in the file store, then in Milvus."""
    return on_both_stores(request, real_components, "real_milvus")  # type: ignore[return-value]


@pytest.fixture(params=STORES)
def hashed(request: pytest.FixtureRequest, hash_index: tuple[Settings, Components]) -> tuple[Settings, Components]:
    """The hash index in the file store, then in Milvus."""
    return on_both_stores(request, hash_index, "hash_milvus")  # type: ignore[return-value]





def holding(hits, needle: str) -> list[int]:
    """Ranks of the hits whose text contains ``needle``."""
    return [h.rank for h in hits if needle in h.passage.text]


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


def _passage(k: int, kind: str, start: int, end: int) -> Passage:
    return Passage(f"p{k}", "r", kind, f"text {k}", ("一、",), 1, 1, start, end, ((start, end),),
                   (Sentence(f"text {k}", start, end),))


# a table (100-200) with three rows, and two prose passages
TABLE_FIXTURE = [_passage(0, "prose", 0, 10), _passage(1, "table", 100, 200), _passage(2, "table_row", 110, 120),
                 _passage(3, "table_row", 120, 130), _passage(4, "table_row", 130, 140), _passage(5, "prose", 300, 310)]


def test_diversify_keeps_two_rows_of_a_table_ahead() -> None:
    ranked = [(2, 0.9), (3, 0.8), (4, 0.7), (0, 0.6), (1, 0.5), (5, 0.4)]
    # the third row moves behind the other passages; the table's own passage is no row and keeps its place
    assert [p for p, _ in diversify(ranked, TABLE_FIXTURE, 2)] == [2, 3, 0, 1, 5, 4]
    assert [p for p, _ in diversify(ranked, TABLE_FIXTURE, 1)] == [2, 0, 1, 5, 3, 4]
    assert diversify(ranked, TABLE_FIXTURE, 0) == ranked


# -- retriever on the hash index ----------------------------------------------------------



def test_bm25_mode_ranks_by_bm25(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    # without the per-table cap, bm25 mode is exactly the BM25 ranking
    plain = Retriever(c.index, c.embedder, c.tokenizer, rows_per_table=0)
    # the reference: BM25 over every passage's tokens, whichever store searches
    reference = BM25Index.build([c.tokenizer.tokenize(index_text(p)) for p in c.index.passages])
    for query in QUERIES[:5]:
        hits = plain.search(query, k=10, mode="bm25")
        scores = reference.scores(c.tokenizer.tokenize(query))
        assert [h.rank for h in hits] == list(range(1, 11))
        # the ten best BM25 scores, best first (ties in any order) ...
        np.testing.assert_allclose([h.score for h in hits], np.sort(scores)[::-1][:10], rtol=1e-6)
        # ... each the score of the passage it came with
        by_id = {p.id: k for k, p in enumerate(c.index.passages)}
        np.testing.assert_allclose([scores[by_id[h.passage.id]] for h in hits], [h.score for h in hits],
                                   rtol=1e-6)
        assert [h.bm25_score for h in hits] == pytest.approx([h.score for h in hits], rel=1e-6)


def test_rows_of_one_table_are_capped_ahead_of_other_passages(
    hashed: tuple[Settings, Components],
) -> None:
    _, c = hashed
    query = "四川省可数字化交付服务出口额"
    capped = c.retriever.search(query, k=10, mode="bm25")
    plain = Retriever(c.index, c.embedder, c.tokenizer, rows_per_table=0).search(query, k=40, mode="bm25")
    rows = [h for h in capped if h.passage.kind == "table_row"]
    by_table: dict[tuple[str, ...], int] = {}
    for h in rows:
        by_table[h.passage.section_path] = by_table.get(h.passage.section_path, 0) + 1
    assert max(by_table.values()) <= 2
    # the capped list is the plain ranking with surplus rows moved behind
    expected = diversify([(c.retriever.position(h.passage.id), h.score) for h in plain],  # type: ignore[misc]
                         c.index.passages, 2)
    assert [h.passage.id for h in capped] == [c.index.passages[i].id for i, _ in expected[:10]]


def test_dense_mode_scores_are_dense_scores(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    for query in QUERIES[:5]:
        hits = c.retriever.search(query, k=5, mode="dense")
        assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
        assert [h.score for h in hits] == [h.dense_score for h in hits]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_passage_is_found_by_its_best_sentence(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    holdings = c.retriever.holdings
    query = QUERIES[0]
    vector = c.retriever.encode(query)
    hits = c.retriever.search_vector(query, vector, 5, "dense")
    positions = [c.retriever.position(h.passage.id) for h in hits]
    best = [float((holdings.sentence_vectors(ms) @ vector).max())
            for ms in holdings.members(positions)]  # type: ignore[arg-type]
    assert [h.score for h in hits] == pytest.approx(best, abs=1e-6)
    # not the mean with the passage's own vector, which the reader still weighs
    own = holdings.passage_vectors(positions) @ vector  # type: ignore[arg-type]
    assert any(abs(o - b) > 1e-3 for o, b in zip(own.tolist(), best, strict=True))
    assert c.retriever.dense_score(vector, positions[0]) == pytest.approx((own[0] + best[0]) / 2, abs=1e-6)


def test_a_table_comes_whole_within_the_first_five(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    passages = list(c.index.passages)
    table = next(k for k, p in enumerate(passages) if p.kind == "table")
    rows = [k for k, p in enumerate(passages) if p.kind == "table_row" and p.start < passages[table].end
            and p.start >= passages[table].start]
    prose = [k for k, p in enumerate(passages) if p.kind == "prose"][:10]
    by_position = dict(enumerate(passages))
    # found by its rows at ranks 2 and 4, the table's own passage takes the fifth place, the rows keep theirs
    order = [(prose[0], 0.9), (rows[0], 0.8), (prose[1], 0.7), (rows[1], 0.6), (prose[2], 0.5), (prose[3], 0.4)]
    assert [k for k, _ in c.retriever.with_tables(order, dict(by_position))] == [
        prose[0], rows[0], prose[1], rows[1], table, prose[2], prose[3]]
    # already among the first five: no change; found only after the tenth: no change
    ahead = [(prose[0], 0.9), (table, 0.8), *((p, 0.5) for p in prose[1:6])]
    assert c.retriever.with_tables(ahead, dict(by_position)) == ahead
    late = [*((p, 0.5) for p in prose), (rows[2], 0.1)]
    assert c.retriever.with_tables(late, dict(by_position)) == late
    # a question naming a table gets that one, when it is among the first ten
    other = next(k for k, p in enumerate(passages) if p.kind == "table" and k > rows[-1])
    other_row = other + 1
    named = c.retriever.table_passage(passages[other_row])
    assert named is not None and named[0] == other and named[1].number != c.retriever.table_passage(passages[table])[1].number
    both = [(prose[0], 0.9), (rows[0], 0.8), (prose[1], 0.7), (other_row, 0.6), (prose[2], 0.5), (prose[3], 0.4)]
    assert [k for k, _ in c.retriever.with_tables(both, dict(by_position), named[1].number)] == [
        prose[0], rows[0], prose[1], other_row, other, prose[2], prose[3]]
    assert [k for k, _ in c.retriever.with_tables(both, dict(by_position), "99")][4] == table


def test_a_passage_defining_the_term_asked_comes_first(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    passages = list(c.index.passages)
    defining = next(k for k, p in enumerate(passages) if "数字贸易是指" in p.text)
    prose = [k for k, p in enumerate(passages) if p.kind == "prose" and k != defining][:25]
    by_position = dict(enumerate(passages))
    # found 4th, it comes first with the first one's score; the others keep their order
    order = [(prose[0], 0.9), (prose[1], 0.8), (prose[2], 0.7), (defining, 0.6), (prose[3], 0.5)]
    assert with_definition(order, by_position, ("数贸", "数字贸易")) == [
        (defining, 0.9), (prose[0], 0.9), (prose[1], 0.8), (prose[2], 0.7), (prose[3], 0.5)]
    # already first, after the twentieth, or a term no passage defines: no change
    first = [(defining, 0.9), *((p, 0.5) for p in prose[:4])]
    assert with_definition(first, by_position, ("数字贸易",)) == first
    late = [*((p, 0.5) for p in prose[:20]), (defining, 0.1)]
    assert with_definition(late, by_position, ("数字贸易",)) == late
    assert with_definition(order, by_position, ("数据跨境",)) == order
    # the term followed by a defining verb, not the term alone: 数字贸易 is used in most passages
    assert sum("数字贸易" in passages[k].text for k in prose) >= 10


def test_retriever_rejects_bad_arguments(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
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


def test_retriever_is_thread_safe(hashed: tuple[Settings, Components]) -> None:
    _, c = hashed
    check_thread_safety(c.retriever, ["hybrid", "dense", "bm25"])


# -- the real model ----------------------------------------------------------------------


@pytest.mark.slow
def test_real_hybrid_finds_global_ecommerce_retail(components: Components) -> None:
    hits = components.retriever.search("2022年全球电子商务零售额", 5, "hybrid")
    assert "电子商务零售额突破5万亿美元" in hits[0].passage.text, [h.passage.text[:40] for h in hits]


@pytest.mark.slow
def test_real_hybrid_finds_the_sichuan_table_row(components: Components) -> None:
    hits = components.retriever.search("四川省可数字化交付服务出口额", 5, "hybrid")
    rows = [h.rank for h in hits if h.passage.kind == "table_row" and "四川：" in h.passage.text
            and h.passage.text.startswith("表2 ")]
    assert rows and rows[0] <= 3, [(h.passage.kind, h.passage.text[:40]) for h in hits]


@pytest.mark.slow
def test_real_hybrid_finds_the_internet_data_channels(components: Components) -> None:
    hits = components.retriever.search("有多少座城市开通了通往国外的互联网专线", 5, "hybrid")
    assert holding(hits, "47个城市拥有国际互联网数据专用通道"), [h.passage.text[:40] for h in hits]


@pytest.mark.slow
def test_real_retriever_is_thread_safe(components: Components) -> None:
    check_thread_safety(components.retriever, ["hybrid"])


@pytest.mark.slow
def test_a_question_over_a_tables_rows_gets_the_whole_table(components: Components) -> None:
    question = "表1那十个国家里 数字服务出口跌得最狠的是哪个"
    answerer = components.answerer
    q = answerer.analyze(question)
    plain = components.retriever.search_vector(q.search_text, components.retriever.encode(q.text), 10)
    hits = answerer.search(question, 5)
    whole = [h for h in hits if h.passage.kind == "table"]
    assert [h.rank for h in whole] == [5] and whole[0].passage.text.startswith("表1 2022年全球主要经济体")
    assert [h.rank for h in plain if h.passage.id == whole[0].passage.id] == [6]
    assert [h.passage.id for h in hits[:4]] == [h.passage.id for h in plain[:4]]
    # the reader reads eight passages besides the whole table
    _, read = answerer.retrieve(q)
    assert [h.passage.kind == "table" for h in read].count(False) == 8 and len(read) == 9
