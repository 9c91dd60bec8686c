"""``/health``: whether the index is loaded, and what it holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reportqa.api.schemas import HealthOut
from reportqa.service import Components

router = APIRouter(tags=["service"])


@router.head("/health", include_in_schema=False)
def health_head(request: Request) -> Response:
    """``HEAD /health``: the status code of ``GET /health`` without its body."""
    return Response(status_code=200 if request.app.state.components is not None else 503)


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(request: Request) -> Any:
    """Status, passages, model and index build time; 503 until the index is loaded."""
    loaded: Components | None = request.app.state.components
    if loaded is None:
        error = request.app.state.error
        body = HealthOut(status="error" if error else "loading", passages=0, model="",
                         index_built_at=None, documents=[], store=request.app.state.settings.store, detail=error)
        return JSONResponse(body.model_dump(), status_code=503)
    manifest = loaded.index.manifest
    return HealthOut(status="ok", passages=len(loaded.index.passages), model=manifest.embedding.model,
                     index_built_at=manifest.created_at, documents=sorted(loaded.documents),
                     store=loaded.settings.store)
