"""Fusion of ranked lists: plain functions on arrays."""

from __future__ import annotations

import numpy as np


def reciprocal_rank_fusion(
    rankings: list[np.ndarray], weights: list[float], k: int = 60
) -> dict[int, float]:
    """Weighted reciprocal rank fusion.

    Args:
        rankings: arrays of ids, best first (ids < 0 are ignored).
        weights: one weight per ranking.
        k: the RRF constant.

    Returns:
        ``id -> sum_i weight_i / (k + rank_i)`` with ranks starting at 1.
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc in enumerate(ranking.tolist(), start=1):
            if doc >= 0:
                fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector becomes all ones."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo < 1e-12:
        return np.ones_like(scores)
    return (scores - lo) / (hi - lo)


def weighted_fusion(
    candidates: list[tuple[np.ndarray, np.ndarray]], weights: list[float]
) -> dict[int, float]:
    """Weighted sum of min-max normalised scores.

    Args:
        candidates: ``(ids, scores)`` per retriever; an id missing from a
            retriever's candidates scores 0 there.
        weights: one weight per retriever.
    """
    fused: dict[int, float] = {}
    for (ids, scores), weight in zip(candidates, weights, strict=True):
        keep = ids >= 0
        for doc, score in zip(ids[keep].tolist(), min_max(scores[keep]).tolist(), strict=True):
            fused[doc] = fused.get(doc, 0.0) + weight * score
    return fused
