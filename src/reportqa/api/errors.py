"""How the app answers errors: validation as 422 naming the field, a bug as a logged 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa.api.guards import OPENAI_PREFIX, error_body
from reportqa.api.schemas import ErrorOut

log = logging.getLogger("reportqa.api")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 413: {"model": ErrorOut},
    422: {"model": ErrorOut}, 503: {"model": ErrorOut},
}


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one message per bad field: ``top_k: Input should be …`` (on the
    OpenAI-compatible routes 400 in the OpenAI error shape, as OpenAI answers)."""
    messages = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            messages.append("body: not valid JSON")
            continue
        field = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        messages.append(f"{field or 'body'}: {message}")
    if request.url.path.startswith(OPENAI_PREFIX):
        return JSONResponse(error_body(request.url.path, 400, "; ".join(messages)), status_code=400)
    return JSONResponse({"detail": "; ".join(messages)}, status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """An error a route raised, in the shape of its API."""
    return JSONResponse(error_body(request.url.path, exc.status_code, str(exc.detail)), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def bug(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback, answered 500 (what a user can fix is a 4xx before this)."""
    log.exception("%s %s failed", request.method, request.url.path)
    return JSONResponse({"detail": "internal error: see the server log"}, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, bug)
