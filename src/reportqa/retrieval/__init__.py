"""Retrieval: dense, BM25 and their fusion over a loaded index."""

from reportqa.retrieval.fusion import reciprocal_rank_fusion, weighted_fusion
from reportqa.retrieval.retriever import MODES, Hit, Retriever

__all__ = ["MODES", "Hit", "Retriever", "reciprocal_rank_fusion", "weighted_fusion"]
