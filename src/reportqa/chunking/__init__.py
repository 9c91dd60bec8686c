"""Chunking: documents in, located passages out."""

from reportqa.chunking.chunker import Chunker, ChunkingConfig
from reportqa.chunking.passage import Passage, Sentence
from reportqa.chunking.sentences import split_sentences

__all__ = ["Chunker", "ChunkingConfig", "Passage", "Sentence", "split_sentences"]
