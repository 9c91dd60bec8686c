"""The JSON forms of hits, passages and answers, defined once: the CLI's
``--json`` prints them and the HTTP API serves them (its response models)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:  # the CLI imports this module before it needs any model code
    from reportqa.answer import Answer
    from reportqa.chunking import Passage
    from reportqa.retrieval import Hit


def passage_json(passage: Passage) -> dict[str, Any]:
    """The JSON form of a passage and its location."""
    return {
        "id": passage.id,
        "doc_id": passage.doc_id,
        "kind": passage.kind,
        "text": passage.text,
        "section_path": list(passage.section_path),
        "page_start": passage.page_start,
        "page_end": passage.page_end,
        "start": passage.start,
        "end": passage.end,
    }


class CitationOut(BaseModel):
    """A cited passage and the quoted sentence, located in the corpus file."""

    n: int
    passage_id: str
    doc_id: str
    title: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int
    quote: str
    quote_start: int
    quote_end: int


class SeeAlsoOut(BaseModel):
    """A close passage offered when the answer abstains."""

    passage_id: str
    doc_id: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int
    text: str


class Timings(BaseModel):
    """Milliseconds spent retrieving, answering and in all."""

    retrieve: float
    answer: float
    total: float


class AskResponse(BaseModel):
    """An answer: ``reportqa ask --json`` and ``POST /ask`` alike."""

    question: str
    answer: str
    abstained: bool
    abstain_reason: str | None = None
    resolved_question: str | None = None  # the question answered, when a follow-up was resolved
    citations: list[CitationOut]
    see_also: list[SeeAlsoOut]
    timings_ms: Timings

    @classmethod
    def of(cls, answer: Answer, asked: str | None = None) -> AskResponse:
        """The response for an answer (to ``asked``, resolved into ``answer.question``)."""
        resolved = answer.question if asked is not None and asked.strip() != answer.question else None
        return cls(
            question=asked.strip() if asked is not None else answer.question, answer=answer.text,
            abstained=answer.abstained, abstain_reason=answer.abstain_reason, resolved_question=resolved,
            citations=[CitationOut(n=c.n, passage_id=c.passage.id, doc_id=c.passage.doc_id, title=c.title,
                                   section_path=list(c.passage.section_path), page_start=c.passage.page_start,
                                   page_end=c.passage.page_end, start=c.passage.start, end=c.passage.end,
                                   quote=c.quote, quote_start=c.quote_start, quote_end=c.quote_end)
                       for c in answer.citations],
            see_also=[SeeAlsoOut(passage_id=p.id, doc_id=p.doc_id, section_path=list(p.section_path),
                                 page_start=p.page_start, page_end=p.page_end, start=p.start, end=p.end, text=p.text)
                      for p in answer.see_also],
            timings_ms=Timings(**answer.timings_ms),
        )


class PassageFields(BaseModel):
    """A passage and where it lies: what a hit and ``/passages/{id}`` both give."""

    id: str
    doc_id: str
    kind: str
    text: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int


class HitOut(PassageFields):
    """A search hit: ``reportqa search --json`` and ``GET /search`` alike."""

    score: float
    rank: int

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        """The response for a search hit."""
        return cls(score=round(hit.score, 6), rank=hit.rank, **passage_json(hit.passage))


def hit_json(hit: Hit) -> dict[str, Any]:
    """The JSON form of a search hit (CLI and HTTP alike)."""
    return HitOut.of(hit).model_dump()


def answer_json(answer: Answer, asked: str | None = None) -> dict[str, Any]:
    """The JSON form of an answer (CLI ``ask --json`` and HTTP ``/ask`` alike); with
    ``asked``, the turn as asked, and the resolved question when it differs."""
    return AskResponse.of(answer, asked).model_dump()


class ReportOut(BaseModel):
    """A report in the index: ``GET /documents`` and ``reportqa documents --json``."""

    id: str
    title: str
    pages: int
    passages: int
    added_at: str
    file: str

    @classmethod
    def list_of(cls, manifest: Any) -> list[ReportOut]:
        """The reports a :class:`~reportqa.index.manifest.Manifest` names, by id."""
        return [cls(id=doc_id, title=d.title, pages=d.pages, passages=d.passages, added_at=d.added_at,
                    file=d.path.rsplit("/", 1)[-1]) for doc_id, d in manifest.documents.items()]
