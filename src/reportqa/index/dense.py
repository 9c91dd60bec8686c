"""Dense vector search: FAISS, and a brute-force numpy reference."""

from __future__ import annotations

from typing import Protocol

import faiss
import numpy as np


class DenseIndex(Protocol):
    """Inner-product search over L2-normalised vectors."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, ids)`` per query row; ids are -1 where fewer exist."""
        ...


class NumpyIndex:
    """Exact search by a matrix product: the reference the FAISS index is tested against."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`DenseIndex`."""
        return top_k(np.asarray(queries, dtype=np.float32) @ self.vectors.T, k)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-``k`` of a score matrix, best first, padded with -1 ids."""
    scores = np.atleast_2d(scores)
    n = scores.shape[1]
    kk = min(k, n)
    if kk == 0:
        return np.zeros((scores.shape[0], k), np.float32), -np.ones((scores.shape[0], k), np.int64)
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    ids = np.take_along_axis(part, order, axis=1)
    best = np.take_along_axis(scores, ids, axis=1)
    if kk < k:
        pad = k - kk
        best = np.pad(best, ((0, 0), (0, pad)), constant_values=-np.inf)
        ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
    return best.astype(np.float32), ids.astype(np.int64)


class FaissIndex:
    """FAISS inner product: exact (``IndexFlatIP``) for small collections, HNSW
    above ``hnsw_threshold`` vectors.

    Args:
        index: a ready FAISS index (use :meth:`build` or :meth:`load`).
    """

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def kind(self) -> str:
        """``flat`` or ``hnsw``."""
        return "hnsw" if "HNSW" in type(self.index).__name__ else "flat"

    @classmethod
    def build(
        cls, vectors: np.ndarray, hnsw_threshold: int = 20000, hnsw_m: int = 32, ef_search: int = 128
    ) -> FaissIndex:
        """Index ``vectors`` (already L2-normalised)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        index: faiss.Index
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 200
            index.hnsw.efSearch = ef_search
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`DenseIndex`."""
        scores, ids = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, ids.astype(np.int64)

    def save(self, path: str) -> None:
        """Write the index file."""
        faiss.write_index(self.index, path)

    @classmethod
    def load(cls, path: str) -> FaissIndex:
        """Read an index file written by :meth:`save`."""
        return cls(faiss.read_index(path))
