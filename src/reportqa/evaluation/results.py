"""What an evaluation produces: frozen records, rendered to the JSON contract at the edge.

``reportqa eval --json`` writes :meth:`EvalResult.to_json`; the keys and their
order are the contract the question-set reports in ``eval/reports/`` follow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QuestionResult:
    """One question's outcome."""

    id: str
    type: str
    correct: bool
    abstained: bool
    answer: str
    cited: tuple[str, ...]
    first_relevant_rank: int | None  # of the first passage covering the evidence; None if unanswerable or missed
    support: float
    answerable: bool
    abstain_reason: str | None
    char_f1: float
    question: str
    reference: str
    must_include: tuple[str, ...]


@dataclass(frozen=True)
class TypeScore:
    """Accuracy and recall@5 of the questions of one type."""

    n: int
    accuracy: float
    recall_at_5: float | None  # None for a type with no answerable question

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "accuracy": self.accuracy, "recall@5": self.recall_at_5}


@dataclass(frozen=True)
class AbstentionScore:
    """Abstaining as a classifier of unanswerable questions."""

    precision: float
    recall: float
    false_abstention_rate: float  # over answerable questions


@dataclass(frozen=True)
class EvalResult:
    """Every metric of one question set in one retrieval mode."""

    questions: int
    mode: str
    retrieval: dict[str, float]  # recall@1/3/5/10, mrr@10, ndcg@10 over answerable questions
    accuracy: float
    char_f1: float
    abstention: AbstentionScore
    citation_precision: float
    citation_recall: float
    latency_p50_ms: float
    latency_p95_ms: float
    by_type: dict[str, TypeScore]
    per_question: tuple[QuestionResult, ...]

    @property
    def failures(self) -> list[QuestionResult]:
        return [q for q in self.per_question if not q.correct]

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``reportqa eval --json``."""
        return {
            "questions": self.questions,
            "mode": self.mode,
            "retrieval": dict(self.retrieval),
            "answer": {"accuracy": self.accuracy, "char_f1": self.char_f1},
            "abstention": dataclasses.asdict(self.abstention),
            "citation": {"precision": self.citation_precision, "recall": self.citation_recall},
            "latency_ms": {"p50": self.latency_p50_ms, "p95": self.latency_p95_ms},
            "by_type": {t: score.to_json() for t, score in self.by_type.items()},
            "per_question": [
                {**dataclasses.asdict(q), "cited": list(q.cited), "must_include": list(q.must_include)}
                for q in self.per_question
            ],
        }
