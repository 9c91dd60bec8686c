"""``/ask`` and ``/search``: the answer and the hits, as the CLI's ``--json`` prints them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from reportqa.api.deps import Conf, Loaded
from reportqa.api.errors import ERRORS
from reportqa.api.schemas import AskRequest, AskResponse, HitOut
from reportqa.ingest.normalize import strip_control
from reportqa.rendering import answer_json, hit_json
from reportqa.retrieval.retriever import UnknownDocumentError
from reportqa.settings import MAX_TOP_K, Mode

router = APIRouter(tags=["qa"], responses=ERRORS)


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, loaded: Loaded) -> Any:
    """Answer a question with citations (the same object as ``reportqa ask --json``)."""
    try:
        if body.history:
            resolution, answer = loaded.answerer.answer_turn(body.history, body.question, body.top_k, body.mode,
                                                             body.doc_ids)
            return answer_json(answer, resolution.asked)
        return answer_json(loaded.answerer.answer(body.question, body.top_k, body.mode, body.doc_ids))
    except UnknownDocumentError as exc:
        raise HTTPException(422, f"doc_ids: {exc}") from None


@router.get("/search", response_model=list[HitOut])
def search(
    loaded: Loaded,
    conf: Conf,
    q: Annotated[str, Query(min_length=1, max_length=500, description="the query")],
    k: Annotated[int | None, Query(ge=1, le=MAX_TOP_K, description="hits (REPORTQA_TOP_K by default)")] = None,
    mode: Mode | None = None,
    doc_ids: Annotated[list[str] | None, Query(description="search these reports only (all by default)")] = None,
) -> Any:
    """Search passages (the same array as ``reportqa search --json``)."""
    query = strip_control(q)
    if not query:
        raise HTTPException(422, "q: the query is empty after trimming")
    try:
        hits = loaded.answerer.search(query, k or conf.top_k, mode or conf.mode, doc_ids)
    except UnknownDocumentError as exc:
        raise HTTPException(422, f"doc_ids: {exc}") from None
    return [hit_json(h) for h in hits]
