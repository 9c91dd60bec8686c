"""What ``reportqa bench`` measures: frozen records, rendered to JSON at the edge.

:meth:`BenchResult.to_json` is the object ``reportqa bench --json`` writes; its
keys are the ones the README's figures and ``eval/reports/bench/`` quote.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Latency:
    """Percentiles of a list of timings."""

    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class HttpLoad:
    """Closed-loop load from ``clients`` threads for a fixed time."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


@dataclass(frozen=True)
class Burst:
    """Asks started together, one per client: accepted, turned away (503), anything else."""

    clients: int
    accepted: int
    rejected_503: int
    other_errors: int
    accepted_p99_ms: float
    rejected_p50_ms: float
    rejected_p99_ms: float


@dataclass(frozen=True)
class BuildFigures:
    """The index build: a cold process (model load included) and the build in process."""

    cold_build_s: float | None  # None when --no-cold
    build_s: float
    embed_build_s: float
    passages: int
    passages_per_s: float
    index_mb: float


@dataclass(frozen=True)
class InProcess:
    """Latencies in the bench process: the forward, each search mode, the ask and its answer step."""

    forwards_per_question: float
    answer_step_p50_ms: float
    answer_step_max_ms: float
    odd_answer_step_ms: dict[str, float]  # the slowest of 3 runs of each odd 500-character question
    embed_p50_ms: float
    search_p50_ms: dict[str, float]
    ask_p50_ms: float
    ask_p95_ms: float

    @property
    def ask_over_embed(self) -> float:
        return round(self.ask_p50_ms / max(self.embed_p50_ms, 1e-9), 2)


@dataclass(frozen=True)
class Served:
    """A real server on loopback: throughput per concurrency level, a burst, its peak RSS."""

    http: dict[str, HttpLoad]  # "c<clients>" -> figures
    burst: Burst
    rss_mb: float


@dataclass(frozen=True)
class ReferenceFigures:
    """The LangChain + FAISS reference pipeline on the same corpus and questions."""

    build_s: float
    ask_p50_ms: float
    ask_p95_ms: float


@dataclass(frozen=True)
class AddFigures:
    """Adding one report to an index of ``docs`` reports, beside indexing it alone."""

    add_one_s: float
    index_one_alone_s: float
    embedded_sentences: int  # by the add: the new report's only

    @property
    def ratio(self) -> float:
        return round(self.add_one_s / max(self.index_one_alone_s, 1e-9), 3)


@dataclass(frozen=True)
class BenchResult:
    """Every figure of one bench run."""

    questions: int
    docs: int
    build: BuildFigures
    in_process: InProcess
    served: Served
    cores: int | None
    reference: ReferenceFigures | None
    adding: AddFigures | None = None  # with --docs above 1

    @property
    def ask_vs_reference(self) -> float | None:
        if self.reference is None:
            return None
        return round(self.in_process.ask_p50_ms / max(self.reference.ask_p50_ms, 1e-9), 3)

    @property
    def build_vs_reference(self) -> float | None:
        if self.reference is None:
            return None
        return round(self.build.build_s / max(self.reference.build_s, 1e-9), 3)

    def to_json(self) -> dict[str, Any]:
        """The flat JSON object of ``reportqa bench --json``."""
        p = self.in_process
        return {
            "questions": self.questions, "docs": self.docs, **dataclasses.asdict(self.build),
            "forwards_per_question": p.forwards_per_question,
            "answer_step_ms": {"p50": p.answer_step_p50_ms, "max": p.answer_step_max_ms},
            "odd_answer_step_ms": dict(p.odd_answer_step_ms),
            "embed_p50_ms": p.embed_p50_ms, "search_p50_ms": dict(p.search_p50_ms),
            "ask_p50_ms": p.ask_p50_ms, "ask_p95_ms": p.ask_p95_ms, "ask_over_embed": p.ask_over_embed,
            "http": {k: dataclasses.asdict(v) for k, v in self.served.http.items()},
            "burst": dataclasses.asdict(self.served.burst), "rss_mb": self.served.rss_mb,
            "cores": self.cores,
            "reference": dataclasses.asdict(self.reference) if self.reference else None,
            "ask_vs_reference": self.ask_vs_reference, "build_vs_reference": self.build_vs_reference,
            "add_one": {**dataclasses.asdict(self.adding), "ratio": self.adding.ratio} if self.adding else None,
        }
