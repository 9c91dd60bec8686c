"""The HTTP service: a short assembly of guards, routers and handlers.

Models and the index load once, in the app's lifespan (in a worker thread,
so /health answers 503 while loading). Routes parse, call one library
function and render (``routes/``); their dependencies are module-level
(``deps.py``) so that tests can override them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from reportqa.api import errors
from reportqa.api.guards import Admission, BearerAuth, BodyLimit, SecurityHeaders
from reportqa.api.routes import chat, documents, pages, qa, report, service
from reportqa.ingest.pages import PageImages
from reportqa.service import Components, load_components
from reportqa.settings import Settings

log = logging.getLogger("reportqa.api")
MAX_BODY = 16 * 1024
Loader = Callable[[Settings], Components]


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan_for(settings: Settings, components: Components | None, loader: Loader | None) -> Lifespan:
    """The lifespan: ready ``components`` as they are, else loaded in a worker
    thread (building the index when it is missing or stale) while /health says 503."""
    load = loader or (lambda s: load_components(s, build_if_needed=True, progress=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.components, app.state.error, task = components, None, None

        async def _load() -> None:
            try:
                app.state.components = await asyncio.to_thread(load, settings)
            except Exception as exc:  # reported by /health, never a 500
                log.error("the index could not be loaded: %s", exc)
                app.state.error = str(exc)

        if components is None:
            task = asyncio.create_task(_load())
        yield
        if task is not None and not task.done():
            task.cancel()

    return lifespan


def add_guards(app: FastAPI, settings: Settings) -> None:
    """The guards, innermost first: admission, body limit, key, headers, then CORS."""
    cores = os.cpu_count() or 1
    queued = settings.max_queued_asks if settings.max_queued_asks is not None else 16 * cores
    app.add_middleware(Admission, paths=frozenset({"/ask", "/search", "/v1/chat/completions"}),
                       running=settings.max_running_asks or 2 * cores, queued=queued)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY, limits={"/documents": settings.max_upload_mb * 2**20,
                                                              "/v1/chat/completions": 256 * 1024})
    app.add_middleware(BearerAuth, key=settings.api_key, open_paths=frozenset({"/", "/health"}),
                       open_prefixes=("/static/", "/docs", "/openapi.json"))
    app.add_middleware(SecurityHeaders, page_paths=frozenset({"/"}))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])


def create_app(settings: Settings | None = None, components: Components | None = None,
               loader: Loader | None = None) -> FastAPI:
    """Build the FastAPI app.

    Args:
        settings: the service settings (read from the environment by default).
        components: ready components (tests); otherwise loaded in the lifespan.
        loader: how to load components from settings (default: load, building
            the index when it is missing or stale).
    """
    settings = settings or Settings()
    app = FastAPI(title="reportqa", version="0.1.0",
                  description="Question answering with citations over 《中国数字贸易发展报告2022》.",
                  lifespan=lifespan_for(settings, components, loader), docs_url=None, redoc_url=None,
                  redirect_slashes=False)  # a redirect would be built from the client's Host header
    app.state.settings, app.state.components, app.state.error = settings, components, None
    add_guards(app, settings)
    errors.install(app)
    app.state.changes = threading.Lock()  # one change of the corpus at a time
    app.state.page_images = PageImages(settings.index_dir / "page-images")
    for router in (service.router, qa.router, chat.router, report.router, documents.router, pages.router):
        app.include_router(router)
    for path, files in pages.static_files().items():
        app.mount(path, files, name=path.strip("/"))
    return app
