"""BM25 (Okapi) over tokens, vectorised with per-term postings.

Scores equal ``rank_bm25.BM25Okapi`` (same idf with its epsilon floor for
very common terms), but a query touches only the postings of its terms:
no Python loop over passages.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25Index:
    """Okapi BM25 over pre-tokenised documents.

    Args:
        k1, b, epsilon: the usual parameters; defaults as in rank_bm25.
    """

    def __init__(
        self,
        vocab: dict[str, int],
        indptr: np.ndarray,
        doc_ids: np.ndarray,
        tfs: np.ndarray,
        doc_len: np.ndarray,
        idf: np.ndarray,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        self.vocab = vocab
        self.indptr = indptr
        self.doc_ids = doc_ids
        self.tfs = tfs
        self.doc_len = doc_len.astype(np.float64)
        self.idf = idf
        self.k1 = k1
        self.b = b
        avgdl = float(self.doc_len.mean()) if len(self.doc_len) else 1.0
        self.norm = self.k1 * (1 - self.b + self.b * self.doc_len / max(avgdl, 1e-9))

    @classmethod
    def build(
        cls, corpus: list[list[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25
    ) -> BM25Index:
        """Index tokenised documents."""
        postings: dict[str, list[tuple[int, int]]] = {}
        for d, tokens in enumerate(corpus):
            for term, tf in Counter(tokens).items():
                postings.setdefault(term, []).append((d, tf))
        vocab = {term: k for k, term in enumerate(postings)}
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        doc_ids: list[int] = []
        tfs: list[int] = []
        n = len(corpus)
        idf = np.zeros(len(vocab), dtype=np.float64)
        for term, k in vocab.items():
            plist = postings[term]
            doc_ids.extend(d for d, _ in plist)
            tfs.extend(tf for _, tf in plist)
            indptr[k + 1] = indptr[k] + len(plist)
            idf[k] = math.log(n - len(plist) + 0.5) - math.log(len(plist) + 0.5)
        if len(idf):
            floor = epsilon * float(idf.mean())
            idf = np.where(idf < 0, floor, idf)
        doc_len = np.array([len(t) for t in corpus], dtype=np.float64)
        return cls(
            vocab, indptr, np.array(doc_ids, dtype=np.int64), np.array(tfs, dtype=np.float64),
            doc_len, idf, k1, b,
        )

    @property
    def size(self) -> int:
        """Number of documents."""
        return len(self.doc_len)

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every document for the tokenised ``query``."""
        out = np.zeros(self.size, dtype=np.float64)
        for term in query:
            k = self.vocab.get(term)
            if k is None:
                continue
            lo, hi = self.indptr[k], self.indptr[k + 1]
            docs = self.doc_ids[lo:hi]
            tf = self.tfs[lo:hi]
            out[docs] += self.idf[k] * tf * (self.k1 + 1) / (tf + self.norm[docs])
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``numpy.savez``."""
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=str)
        return {
            "terms": terms, "indptr": self.indptr, "doc_ids": self.doc_ids, "tfs": self.tfs,
            "doc_len": self.doc_len, "idf": self.idf, "params": np.array([self.k1, self.b]),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> BM25Index:
        """Inverse of :meth:`to_arrays`."""
        vocab = {str(t): k for k, t in enumerate(arrays["terms"].tolist())}
        k1, b = (float(x) for x in arrays["params"])
        return cls(
            vocab, arrays["indptr"], arrays["doc_ids"], arrays["tfs"], arrays["doc_len"],
            arrays["idf"], k1, b,
        )
