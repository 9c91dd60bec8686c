"""``/passages/{id}`` and ``/documents/{id}``: what a citation points at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from reportqa.api.deps import Loaded
from reportqa.api.errors import ERRORS
from reportqa.api.schemas import DocumentOut, PassageOut
from reportqa.api.views import document_view, passage_view

router = APIRouter(tags=["report"], responses=ERRORS)


@router.get("/passages/{passage_id}", response_model=PassageOut)
def passage(passage_id: str, loaded: Loaded) -> Any:
    """One passage with its location and the ids of its neighbours."""
    at = loaded.retriever.position(passage_id)
    if at is None:
        raise HTTPException(404, f"unknown passage id {passage_id!r}")
    return passage_view(loaded.index.passages, at)


@router.get("/documents/{doc_id}", response_model=DocumentOut)
def document(doc_id: str, loaded: Loaded) -> Any:
    """The rebuilt report: sections, paragraphs, tables and notes, with offsets."""
    doc = loaded.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, f"unknown document id {doc_id!r}")
    return document_view(doc)
