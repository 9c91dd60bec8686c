"""Runs a question set through retrieval and the answerer and scores it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reportqa.answer.composer import Answerer
from reportqa.chunking import Passage
from reportqa.errors import ReportqaError
from reportqa.evaluation.metrics import (
    abstention_scores,
    char_f1,
    covers,
    first_relevant_rank,
    is_correct,
    locate_quote,
    mrr_at,
    ndcg_at,
    percentile,
    recall_at,
)
from reportqa.evaluation.results import AbstentionScore, EvalResult, QuestionResult, TypeScore

KEYS = ("id", "question", "answer", "must_include", "evidence", "type", "answerable")
TYPES = ("number", "entity", "list", "date", "table", "definition", "comparison", "paraphrase",
         "unanswerable")


class QuestionFileError(ReportqaError, ValueError):
    """A question file does not follow the schema; the message names file and line."""


@dataclass(frozen=True)
class Question:
    """One evaluation question."""

    id: str
    question: str
    answer: str
    must_include: tuple[str, ...]
    evidence: tuple[str, ...]
    type: str
    answerable: bool


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question file, checking the schema."""
    if not path.is_file():
        raise QuestionFileError(f"{path}: question file not found")
    out: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionFileError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or set(data) != set(KEYS):
            raise QuestionFileError(f"{path}:{n}: keys must be exactly {', '.join(KEYS)}")
        if data["type"] not in TYPES:
            raise QuestionFileError(f"{path}:{n}: unknown type {data['type']!r}")
        if data["id"] in seen:
            raise QuestionFileError(f"{path}:{n}: duplicate id {data['id']!r}")
        seen.add(data["id"])
        out.append(Question(str(data["id"]), str(data["question"]), str(data["answer"]),
                            tuple(data["must_include"]), tuple(data["evidence"]), data["type"],
                            bool(data["answerable"])))
    return out


class Evaluator:
    """Scores an answerer on questions.

    Args:
        answerer: the answerer (its search, the answer path's retrieval, gives the retrieval metrics).
        corpora: ``doc_id -> corpus text`` for locating evidence quotes.
    """

    def __init__(self, answerer: Answerer, corpora: dict[str, str]) -> None:
        self.answerer = answerer
        self.corpora = corpora

    def relevant(self, passage: Passage, question: Question) -> bool:
        """Whether a passage's span covers half of one evidence quote."""
        text = self.corpora.get(passage.doc_id)
        if text is None:
            return False
        for quote in question.evidence:
            where = locate_quote(text, quote)
            if where and covers((passage.start, passage.end), where, text):
                return True
        return False

    def run(self, questions: list[Question], mode: str) -> EvalResult:
        """Every metric of the evaluation contract for one mode."""
        rows: list[QuestionResult] = []
        retrieval: dict[str, list[float]] = {k: [] for k in
                                             ("recall@1", "recall@3", "recall@5", "recall@10",
                                              "mrr@10", "ndcg@10")}
        latencies: list[float] = []
        cite_hits = cite_total = cite_answered = cite_recall = 0
        for q in questions:
            hits = self.answerer.search(q.question, 10, mode)  # the passages the answer path reads
            flags = [self.relevant(h.passage, q) for h in hits]
            answer = self.answerer.answer(q.question, mode=mode)
            latencies.append(answer.timings_ms["total"])
            if q.answerable:
                for k in (1, 3, 5, 10):
                    retrieval[f"recall@{k}"].append(recall_at(flags, k))
                retrieval["mrr@10"].append(mrr_at(flags, 10))
                retrieval["ndcg@10"].append(ndcg_at(flags, 10))
            if q.answerable and not answer.abstained:
                rel = [self.relevant(c.passage, q) for c in answer.citations]
                cite_answered += 1
                cite_recall += any(rel)
                cite_hits += sum(rel)
                cite_total += len(rel)
            rows.append(QuestionResult(
                id=q.id, type=q.type,
                correct=is_correct(answer.text, answer.abstained, list(q.must_include), q.answerable),
                abstained=answer.abstained, answer=answer.text,
                cited=tuple(c.passage.id for c in answer.citations),
                first_relevant_rank=first_relevant_rank(flags) if q.answerable else None,
                support=round(answer.support, 4), answerable=q.answerable,
                abstain_reason=answer.abstain_reason,
                char_f1=char_f1(answer.text, q.answer) if q.answerable else float(answer.abstained),
                question=q.question, reference=q.answer, must_include=q.must_include,
            ))
        return self.summarise(rows, retrieval, latencies, mode,
                              (cite_hits, cite_total, cite_answered, cite_recall))

    @staticmethod
    def summarise(rows: list[QuestionResult], retrieval: dict[str, list[float]],
                  latencies: list[float], mode: str, cites: tuple[int, int, int, int]) -> EvalResult:
        """Aggregate per-question results; ``cites`` is (relevant citations, citations,
        answered answerable questions, those with a relevant citation)."""
        def mean(values: list[float]) -> float:
            return round(sum(values) / len(values), 4) if values else 0.0

        hits, total, answered, recall = cites
        by_type: dict[str, TypeScore] = {}
        for t in TYPES:
            sel = [r for r in rows if r.type == t]
            if not sel:
                continue
            ranks = [r.first_relevant_rank for r in sel if r.answerable]
            by_type[t] = TypeScore(
                n=len(sel), accuracy=mean([float(r.correct) for r in sel]),
                recall_at_5=mean([float(bool(x and x <= 5)) for x in ranks]) if ranks else None,
            )
        abst = abstention_scores([r.abstained for r in rows], [r.answerable for r in rows])
        return EvalResult(
            questions=len(rows),
            mode=mode,
            retrieval={k: mean(v) for k, v in retrieval.items()},
            accuracy=mean([float(r.correct) for r in rows]),
            char_f1=mean([r.char_f1 for r in rows]),
            abstention=AbstentionScore(**{k: round(v, 4) for k, v in abst.items()}),
            citation_precision=round(hits / total, 4) if total else 0.0,
            citation_recall=round(recall / answered, 4) if answered else 0.0,
            latency_p50_ms=round(percentile(latencies, 50), 2),
            latency_p95_ms=round(percentile(latencies, 95), 2),
            by_type=by_type,
            per_question=tuple(rows),
        )
