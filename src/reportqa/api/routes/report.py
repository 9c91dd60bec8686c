"""``/passages/{id}`` and ``/documents/{id}``: what a citation points at."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from reportqa.api.deps import Loaded, Pages
from reportqa.api.errors import ERRORS
from reportqa.api.schemas import BoxesOut, DocumentOut, PageBoxesOut, PassageOut
from reportqa.api.views import document_view, passage_view
from reportqa.errors import ReportqaError
from reportqa.index.store import IndexLoadError
from reportqa.ingest.pages import quote_boxes
from reportqa.ingest.records import Document

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


def _pdf_document(loaded: Loaded, doc_id: str) -> Document:
    doc = loaded.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, f"unknown document id {doc_id!r}")
    if not doc.layout:
        raise HTTPException(404, f"document {doc_id!r} is a text extraction: it has no page images")
    return doc


@router.get("/documents/{doc_id}/pages/{page}.png", response_class=FileResponse,
            responses={200: {"content": {"image/png": {}}}})
def page_image(doc_id: str, page: int, loaded: Loaded, images: Pages) -> Any:
    """PDF page ``page`` (from 1) of a report, rendered once and cached: from the
    PDF in the corpus, or from the copy the Milvus store holds (a replica without the corpus)."""
    doc = _pdf_document(loaded, doc_id)
    if not 1 <= page <= max(p.pdf_page for p in doc.pages):
        raise HTTPException(404, f"document {doc_id!r} has no page {page}")
    sha256 = loaded.index.manifest.documents[doc_id].sha256
    try:
        path = images.png(loaded.index.pdf(doc_id), sha256, page)
    except IndexLoadError as exc:  # Milvus out of reach, or no copy of the PDF anywhere
        raise HTTPException(503, str(exc)) from None
    except ReportqaError as exc:  # a PDF that cannot be rendered
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/documents/{doc_id}/boxes", response_model=BoxesOut)
def boxes(doc_id: str, loaded: Loaded,
          start: Annotated[int, Query(ge=0, description="document text offset where the quote starts")],
          end: Annotated[int, Query(ge=1, description="offset just after the quote")]) -> Any:
    """Where document text ``[start, end)`` lies on the PDF pages: one box per line piece,
    with each page's size, so a page image can be marked."""
    doc = _pdf_document(loaded, doc_id)
    if end <= start:
        raise HTTPException(422, "end: must be greater than start")
    found = quote_boxes(doc, start, end)
    sizes = {p.pdf_page: (p.width, p.height) for p in doc.pages}
    pages = sorted({b.page for b in found})
    return BoxesOut(pages=[PageBoxesOut(page=n, width=sizes[n][0], height=sizes[n][1],
                                        boxes=[[b.x0, b.top, b.x1, b.bottom] for b in found if b.page == n])
                           for n in pages])
