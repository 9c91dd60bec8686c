"""``/documents``: list the reports, upload one, remove one.

A change runs in a worker thread under the app's change lock (one at a time,
and the index folder's own lock against other processes); the loaded
components are swapped only when the new index is whole, so asks in flight
and during the change are answered by the previous index.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile

from reportqa.api.deps import Conf, Loaded
from reportqa.api.errors import ERRORS
from reportqa.errors import ReportqaError
from reportqa.rendering import ReportOut
from reportqa.service import (
    Components,
    DuplicateReportError,
    LastReportError,
    NoCorpusError,
    UnknownReportError,
    UnsupportedReportError,
    add_reports,
    load_components,
    remove_report,
)
from reportqa.settings import Settings

log = logging.getLogger("reportqa.api")
router = APIRouter(tags=["documents"], responses=ERRORS)
STATUS = {UnsupportedReportError: 415, DuplicateReportError: 409, LastReportError: 409, NoCorpusError: 409,
          UnknownReportError: 404}


def _status(exc: ReportqaError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def _reload(request: Request, settings: Settings, loaded: Components) -> Components:
    """Load the changed index with the models already in memory, then swap it in."""
    fresh = load_components(settings, embedder=loaded.embedder, models=loaded.answerer.models)
    request.app.state.components = fresh
    return fresh


@router.get("/documents", response_model=list[ReportOut])
def list_documents(loaded: Loaded) -> Any:
    """The reports of the index: id, title, pages, passages, when added."""
    return ReportOut.list_of(loaded.index.manifest)


@router.post("/documents", response_model=ReportOut, status_code=201,
             responses={409: {"model": ERRORS[404]["model"]}, 415: {"model": ERRORS[404]["model"]}})
def upload_document(request: Request, settings: Conf, loaded: Loaded,
                    file: Annotated[UploadFile, File(description="a report: a PDF or a text extraction (.txt)")]) -> Any:
    """Add a report: checked and rebuilt before anything is written, then only it is embedded."""
    name = Path(file.filename or "").name
    if not name:
        raise HTTPException(422, "file: the upload has no file name")
    with request.app.state.changes, tempfile.TemporaryDirectory(prefix="reportqa-upload-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        try:
            report = add_reports(settings, loaded.embedder, loaded.tokenizer, [path])
        except ReportqaError as exc:
            log.warning("upload %s refused: %s", name, exc)
            raise HTTPException(_status(exc), str(exc).replace(f"{path}: ", f"{name}: ")) from None
        fresh = _reload(request, settings, request.app.state.components)
    log.info("added %s: %d passages", report.added[0], report.passages)
    return next(r for r in ReportOut.list_of(fresh.index.manifest) if r.id == report.added[0])


@router.delete("/documents/{doc_id}", status_code=204)
def delete_document(doc_id: str, request: Request, settings: Conf, loaded: Loaded) -> None:
    """Remove a report from the index and the corpus."""
    with request.app.state.changes:
        if doc_id not in request.app.state.components.index.manifest.documents:
            raise HTTPException(404, f"unknown document id {doc_id!r}")
        try:
            remove_report(settings, loaded.embedder, loaded.tokenizer, doc_id)
        except ReportqaError as exc:
            raise HTTPException(_status(exc), str(exc)) from None
        _reload(request, settings, request.app.state.components)
    log.info("removed %s", doc_id)
