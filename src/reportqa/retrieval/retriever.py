"""The retriever: dense, BM25 or hybrid search over one loaded index."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np

from reportqa.chunking import Passage
from reportqa.errors import ReportqaError
from reportqa.index.embedder import Embedder
from reportqa.index.store import LoadedIndex
from reportqa.ingest.records import Table
from reportqa.retrieval.fusion import reciprocal_rank_fusion, weighted_fusion
from reportqa.segment import Tokenizer
from reportqa.segment.tokenizer import normalize
from reportqa.settings import Mode

# a definition stated of a term: the term, a closing quote at most, then a defining verb (数字贸易是指，…)
DEFINING = r"[”》\"]?\s*(?:是指|指的是|特指|泛指|即指|定义为|界定为)"

MODES: tuple[str, ...] = get_args(Mode)


class UnknownDocumentError(ReportqaError, ValueError):
    """A scope names a report the index does not hold."""


def diversify(ranked: list[tuple[int, float]], passages: Sequence[Passage] | Mapping[int, Passage],
              cap: int) -> list[tuple[int, float]]:
    """Keep at most ``cap`` rows of one table ahead of other passages.

    Every row repeats its table's title, so a query that matches the title
    would otherwise fill the top of the list with rows of a single table;
    the extra rows move behind the other candidates, in their order.
    """
    if cap <= 0:
        return ranked
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    head, tail = [], []
    for item in ranked:
        passage = passages[item[0]]
        if passage.kind == "table_row":
            key = (passage.doc_id, passage.section_path)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > cap:
                tail.append(item)
                continue
        head.append(item)
    return head + tail


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and 1-based rank."""

    passage: Passage
    score: float
    rank: int
    dense_score: float
    bm25_score: float


@dataclass(frozen=True)
class QueryScores:
    """Per-passage scores of one query, shared by search and answering."""

    query_vector: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray


class Retriever:
    """Searches one index.

    Args:
        index: the loaded index.
        embedder: the same model the index was built with.
        tokenizer: the shared jieba tokenizer.
        top_k: default number of hits.
        mode: default mode.
        fusion: ``rrf`` or ``weighted``.
        dense_weight: weight of the dense ranking (BM25 gets ``1 - dense_weight``).
        rrf_k: the RRF constant.
        candidates: how many candidates each side contributes to fusion.
        rows_per_table: rows of one table allowed ahead of other passages (0: no limit).
    """

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        tokenizer: Tokenizer,
        top_k: int = 5,
        mode: str = "hybrid",
        fusion: str = "rrf",
        dense_weight: float = 0.5,
        rrf_k: int = 60,
        candidates: int = 50,
        rows_per_table: int = 2,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        if fusion not in ("rrf", "weighted"):
            raise ValueError(f"unknown fusion {fusion!r}: use rrf or weighted")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError("dense_weight must be between 0 and 1")
        self.index = index
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.top_k = top_k
        self.mode = mode
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.rows_per_table = rows_per_table
        self.holdings = index.holdings

    def position(self, passage_id: str) -> int | None:
        """Index of a passage in the store, or ``None`` for an unknown id."""
        return self.holdings.position(passage_id)

    def encode(self, query: str) -> np.ndarray:
        """The query's vector: the one model forward of a question."""
        return self.embedder.embed_queries([query])[0]

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               doc_ids: Collection[str] | None = None) -> list[Hit]:
        """Top-``k`` passages for ``query`` (of the reports ``doc_ids`` only, when
        given); safe to call from several threads."""
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        return self.search_vector(query, self.encode(query) if mode != "bm25" else None, k, mode, doc_ids)

    def scope(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        """Positions of the passages of ``doc_ids`` (``None``: every report);
        :class:`UnknownDocumentError` for an id the index does not hold."""
        if doc_ids is None:
            return None
        unknown = sorted(set(doc_ids) - set(self.index.ranges))
        if unknown:
            raise UnknownDocumentError(f"unknown document id {unknown[0]!r}: see `reportqa documents`")
        spans = [np.arange(*self.index.ranges[d]) for d in sorted(set(doc_ids))]
        return np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)

    def dense_score(self, vector: np.ndarray, position: int) -> float:
        """One passage's similarity to a query vector as the reader weighs it:
        the mean of its own similarity and its best sentence's."""
        own = float(self.holdings.passage_vectors([position])[0] @ vector)
        best = float((self.holdings.sentence_vectors(self.holdings.members([position])[0]) @ vector).max())
        return (own + best) / 2

    def dense_candidates(self, vector: np.ndarray, depth: int,
                         scope: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Dense scores, best first: a passage's best sentence's similarity (a
        passage is found by the one sentence that answers; its own vector, the
        mean of all its sentences', blurs that sentence with the others:
        recall@5 on the training sets was higher by best sentence alone than
        by the mean of the two, README). Candidates come from the passage and the
        sentence FAISS indexes (only candidates are rescored); within a scope
        every passage of it is a candidate."""
        ids = np.array(self.index.search.dense(vector, depth), dtype=np.int64) if scope is None else scope
        if not len(ids):
            return np.zeros(0, dtype=np.float32), ids
        members = self.holdings.members(ids.tolist())
        every = sorted({s for ms in members for s in ms})
        sims = dict(zip(every, (self.holdings.sentence_vectors(every) @ vector).tolist(), strict=True))
        scores = np.array([max(sims[s] for s in ms) for ms in members])
        order = np.argsort(-scores, kind="stable")[:depth]
        return scores[order].astype(np.float32), ids[order]

    def search_vector(
        self, query: str, vector: np.ndarray | None, k: int | None = None, mode: str | None = None,
        doc_ids: Collection[str] | None = None, whole_tables: bool = False, table: str | None = None,
        defined: Sequence[str] = (),
    ) -> list[Hit]:
        """:meth:`search` with the query vector already computed. With
        ``whole_tables`` (a question about a table's rows as a set: the
        largest, a rank, those that fell), a table among the first ten comes
        whole within the first five, the one numbered ``table`` when it is
        there (:meth:`with_tables`). With ``defined`` (the terms a question asks
        the meaning of), a passage among the first twenty that defines one comes
        first (:func:`with_definition`)."""
        k = self.top_k if k is None else k
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        if k < 1:
            raise ValueError("k must be at least 1")
        scope = self.scope(doc_ids)
        n = self.holdings.passage_count if scope is None else len(scope)
        depth = min(max(self.candidates, k), n)
        lexical = self.index.search.lexical(self.tokenizer.tokenize(query), depth,
                                            None if doc_ids is None else set(doc_ids))
        bm25_map = dict(lexical)
        bm25_ids = np.array([p for p, _ in lexical], dtype=np.int64)
        bm25_best = np.array([v for _, v in lexical], dtype=np.float32)
        dense_map: dict[int, float] = {}
        dense_ids = np.zeros(0, dtype=np.int64)
        dense_best = np.zeros(0, dtype=np.float32)
        if mode != "bm25" and vector is not None:
            dense_best, dense_ids = self.dense_candidates(vector, depth, scope)
            dense_map = dict(zip(dense_ids.tolist(), dense_best.tolist(), strict=True))
        if mode == "dense":
            fused = dense_map
        elif mode == "bm25":
            fused = dict(zip(bm25_ids.tolist(), bm25_best.tolist(), strict=True))
        elif self.fusion == "rrf":
            fused = reciprocal_rank_fusion(
                [dense_ids, bm25_ids], [self.dense_weight, 1 - self.dense_weight], self.rrf_k
            )
        else:
            fused = weighted_fusion(
                [(dense_ids, dense_best), (bm25_ids, bm25_best)],
                [self.dense_weight, 1 - self.dense_weight],
            )
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        # diversify reads the kind of every fused candidate: one read for them all
        passages = dict(zip((p for p, _ in ranked), self.holdings.passages([p for p, _ in ranked]), strict=True))
        order = diversify(ranked, passages, self.rows_per_table)
        if whole_tables:
            order = self.with_tables(order, passages, table)
        if defined:
            order = with_definition(order, passages, defined)
        order = order[:k]
        return [
            Hit(passages[doc], float(score), rank, dense_map.get(doc, 0.0), bm25_map.get(doc, 0.0))
            for rank, (doc, score) in enumerate(order, start=1)
        ]

    def table_of(self, passage: Passage) -> tuple[Table, list[int]] | None:
        """The parsed table a table or row passage belongs to, with its rows'
        positions; ``None`` for any other passage."""
        if passage.kind not in ("table", "table_row"):
            return None
        for table, rows in self.holdings.tables(passage.doc_id):
            if table.start <= passage.start < table.end:
                return table, rows
        return None

    def table_passage(self, passage: Passage) -> tuple[int, Table] | None:
        """The position of the own passage of the table a table or row passage
        belongs to (it sorts just before the table's first row), with the
        table; ``None`` when there is none."""
        found = self.table_of(passage)
        if found is None or not found[1]:
            return None
        table, rows = found
        own = rows[0] - 1
        whole = self.holdings.passages([own])[0] if own >= 0 else None
        return (own, table) if whole is not None and whole.kind == "table" and whole.start == table.start else None

    def with_tables(self, order: list[tuple[int, float]], passages: dict[int, Passage], named: str | None = None,
                    look: int = 10, place: int = 5) -> list[tuple[int, float]]:
        """``order`` with a table found among its first ``look`` passages (by
        its own passage or one of its rows; the table numbered ``named`` when
        the question names one and it is there, else the first) whole, by its
        own passage, at ``place`` at the latest: a question about a table's rows
        as a set is answered by all of them, not by the row most like it.
        ``passages`` gains the table."""
        found: list[tuple[int, Table]] = []
        for doc, _ in order[:look]:
            table = self.table_passage(passages[doc])
            if table is not None:
                found.append(table)
        if not found:
            return order
        own = next((p for p, t in found if named and t.number == named), found[0][0])
        at = next((i for i, (doc, _) in enumerate(order) if doc == own), len(order))
        if at < place:
            return order
        if own not in passages:  # read only when no ranked passage is the table's own
            passages[own] = self.holdings.passages([own])[0]
        rest = [item for item in order if item[0] != own]
        return [*rest[: place - 1], (own, rest[max(place - 2, 0)][1]), *rest[place - 1:]]  # the score ahead of it


def with_definition(order: list[tuple[int, float]], passages: Mapping[int, Passage], terms: Sequence[str],
                    look: int = 20) -> list[tuple[int, float]]:
    """``order`` with the first of its first ``look`` passages that defines one
    of ``terms`` (the term, then 是指, 指的是, 定义为 …: :data:`DEFINING`) first,
    with the first one's score: a question asking what a term means is
    answered by the sentence that says so, which shares few of its words
    (怎么定义, 官方说法) and is ranked below passages that only use the term."""
    defining = re.compile("(?:{}){}".format("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                                             DEFINING))
    for at, (doc, _) in enumerate(order[:look]):
        if defining.search(normalize(passages[doc].text)):
            return order if at == 0 else [(doc, order[0][1]), *order[:at], *order[at + 1:]]
    return order
