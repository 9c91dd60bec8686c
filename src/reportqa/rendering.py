"""The JSON forms of hits, passages and answers, shared by the CLI's
``--json`` and the HTTP API, so that both print the same objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def hit_json(hit: Hit) -> dict[str, Any]:
    """The JSON form of a search hit (CLI and HTTP alike)."""
    return {"score": round(hit.score, 6), "rank": hit.rank, **passage_json(hit.passage)}


def answer_json(answer: Answer) -> dict[str, Any]:
    """The JSON form of an answer (CLI ``ask --json`` and HTTP ``/ask`` alike)."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "citations": [
            {
                "n": c.n,
                "passage_id": c.passage.id,
                "doc_id": c.passage.doc_id,
                "section_path": list(c.passage.section_path),
                "page_start": c.passage.page_start,
                "page_end": c.passage.page_end,
                "start": c.passage.start,
                "end": c.passage.end,
                "quote": c.quote,
                "quote_start": c.quote_start,
                "quote_end": c.quote_end,
            }
            for c in answer.citations
        ],
        "see_also": [
            {"passage_id": p.id, "doc_id": p.doc_id, "section_path": list(p.section_path),
             "page_start": p.page_start, "page_end": p.page_end, "start": p.start, "end": p.end,
             "text": p.text}
            for p in answer.see_also
        ],
        "timings_ms": answer.timings_ms,
    }
