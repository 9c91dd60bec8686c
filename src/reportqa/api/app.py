"""The HTTP service: thin routes over the loaded components.

Models and the index load once, in the app's lifespan (in a worker thread,
so /health answers 503 while loading). Routes parse, call one library
function and render.
"""


import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from reportqa.api.guards import Admission, BearerAuth, BodyLimit, SecurityHeaders
from reportqa.api.schemas import (
    AskRequest,
    AskResponse,
    DocumentOut,
    ErrorOut,
    HealthOut,
    HitOut,
    NoteOut,
    ParagraphOut,
    PassageOut,
    RowOut,
    SectionOut,
    TableOut,
)
from reportqa.ingest.normalize import strip_control
from reportqa.rendering import answer_json, hit_json
from reportqa.service import Components, load_components
from reportqa.settings import MAX_TOP_K, Mode, Settings

log = logging.getLogger("reportqa.api")
MAX_BODY = 16 * 1024
STATIC = Path(str(resources.files("reportqa.api") / "static"))
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 413: {"model": ErrorOut},
    422: {"model": ErrorOut}, 503: {"model": ErrorOut},
}


def create_app(
    settings: Settings | None = None,
    components: Components | None = None,
    loader: Callable[[Settings], Components] | None = None,
) -> FastAPI:
    """Build the FastAPI app.

    Args:
        settings: the service settings (read from the environment by default).
        components: ready components (tests); otherwise loaded in the lifespan.
        loader: how to load components from settings (default: load, building
            the index when it is missing or stale).
    """
    settings = settings or Settings()
    load = loader or (lambda s: load_components(s, build_if_needed=True, progress=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.components = components
        app.state.error = None
        task = None
        if components is None:
            async def _load() -> None:
                try:
                    app.state.components = await asyncio.to_thread(load, settings)
                except Exception as exc:  # reported by /health, never a 500
                    log.error("the index could not be loaded: %s", exc)
                    app.state.error = str(exc)
            task = asyncio.create_task(_load())
        yield
        if task is not None and not task.done():
            task.cancel()

    app = FastAPI(
        title="reportqa",
        version="0.1.0",
        description="Question answering with citations over 《中国数字贸易发展报告2022》.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a redirect would be built from the client's Host header
    )
    app.state.settings = settings
    app.state.components = components
    app.state.error = None
    cores = os.cpu_count() or 1
    # added innermost first: CORS, then headers, then the key, then the body limit, then admission
    app.add_middleware(Admission, paths=frozenset({"/ask", "/search"}),
                       running=settings.max_running_asks or 2 * cores,
                       queued=settings.max_queued_asks if settings.max_queued_asks is not None else 16 * cores)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)
    app.add_middleware(BearerAuth, key=settings.api_key, open_paths=frozenset({"/", "/health"}),
                       open_prefixes=("/static/", "/docs", "/openapi.json"))
    app.add_middleware(SecurityHeaders, page_paths=frozenset({"/"}))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        # a ReportqaError never reaches here: routes turn what a user can fix into a 4xx
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "internal error: see the server log"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for error in exc.errors():
            if error.get("type") == "json_invalid":
                messages.append("body: not valid JSON")
                continue
            field = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
            message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            messages.append(f"{field or 'body'}: {message}")
        return JSONResponse({"detail": "; ".join(messages)}, status_code=422)

    def get_components(request: Request) -> Components:
        loaded = request.app.state.components
        if loaded is None:
            detail = request.app.state.error or "the index is still loading"
            raise HTTPException(503, detail)
        return loaded  # type: ignore[no-any-return]

    Loaded = Annotated[Components, Depends(get_components)]

    @app.head("/health", include_in_schema=False)
    def health_head(request: Request) -> Response:
        """``HEAD /health``: the status code of ``GET /health`` without its body."""
        return Response(status_code=200 if request.app.state.components is not None else 503)

    @app.get("/health", response_model=HealthOut, tags=["service"],
             responses={503: {"model": HealthOut}})
    def health(request: Request) -> Any:
        """Status, passages, model and index build time; 503 until the index is loaded."""
        loaded: Components | None = request.app.state.components
        if loaded is None:
            error = request.app.state.error
            body = HealthOut(status="error" if error else "loading", passages=0, model="",
                             index_built_at=None, documents=[], detail=error)
            return JSONResponse(body.model_dump(), status_code=503)
        manifest = loaded.index.manifest
        return HealthOut(status="ok", passages=len(loaded.index.passages),
                         model=str(manifest["embedding"]["model"]),
                         index_built_at=manifest.get("created_at"),
                         documents=sorted(loaded.documents))

    @app.post("/ask", response_model=AskResponse, tags=["qa"],
              responses=ERRORS)
    def ask(body: AskRequest, loaded: Loaded) -> Any:
        """Answer a question with citations (the same object as ``reportqa ask --json``)."""
        return answer_json(loaded.answerer.answer(body.question, body.top_k, body.mode))

    @app.get("/search", response_model=list[HitOut], tags=["qa"],
             responses=ERRORS)
    def search(
        request: Request,
        loaded: Loaded,
        q: Annotated[str, Query(min_length=1, max_length=500, description="the query")],
        k: Annotated[int | None, Query(ge=1, le=MAX_TOP_K, description="hits (REPORTQA_TOP_K by default)")] = None,
        mode: Mode | None = None,
    ) -> Any:
        """Search passages (the same array as ``reportqa search --json``)."""
        query = strip_control(q)
        if not query:
            raise HTTPException(422, "q: the query is empty after trimming")
        conf: Settings = request.app.state.settings
        return [hit_json(h) for h in loaded.retriever.search(query, k or conf.top_k, mode or conf.mode)]

    @app.get("/passages/{passage_id}", response_model=PassageOut, tags=["report"],
             responses=ERRORS)
    def passage(passage_id: str, loaded: Loaded) -> Any:
        """One passage with its location and the ids of its neighbours."""
        passages = loaded.index.passages
        at = loaded.retriever.position(passage_id)
        if at is None:
            raise HTTPException(404, f"unknown passage id {passage_id!r}")
        p = passages[at]
        prev_id = passages[at - 1].id if at > 0 and passages[at - 1].doc_id == p.doc_id else None
        next_id = (passages[at + 1].id if at + 1 < len(passages) and passages[at + 1].doc_id == p.doc_id
                   else None)
        return PassageOut(
            id=p.id, doc_id=p.doc_id, kind=p.kind, text=p.text, section_path=list(p.section_path),
            page_start=p.page_start, page_end=p.page_end, start=p.start, end=p.end,
            spans=[[s[0], s[1]] for s in p.spans], previous_id=prev_id, next_id=next_id,
        )

    @app.get("/documents/{doc_id}", response_model=DocumentOut, tags=["report"],
             responses=ERRORS)
    def document(doc_id: str, loaded: Loaded) -> Any:
        """The rebuilt report: sections, paragraphs, tables and notes, with offsets."""
        doc = loaded.documents.get(doc_id)
        if doc is None:
            raise HTTPException(404, f"unknown document id {doc_id!r}")
        notes = [NoteOut(id=c.id, kind="caption", text=f"{c.text}（{c.source}）" if c.source else c.text,
                         section_path=list(c.section_path), page_start=c.page_start,
                         page_end=c.page_end, start=c.start, end=c.end) for c in doc.captions]
        notes += [NoteOut(id=f.id, kind="footnote", text=f"{f.number} {f.text}",
                          section_path=list(f.section_path), page_start=f.page_start,
                          page_end=f.page_end, start=f.start, end=f.end) for f in doc.footnotes]
        return DocumentOut(
            doc_id=doc.doc_id, pages=len(doc.pages), first_page=doc.pages[0].number,
            last_page=doc.pages[-1].number,
            sections=[SectionOut(id=s.id, title=s.title, level=s.level, path=list(s.path),
                                 start=s.start, end=s.end, is_box=s.is_box) for s in doc.sections],
            paragraphs=[ParagraphOut(id=p.id, text=p.text, section_path=list(p.section_path),
                                     page_start=p.page_start, page_end=p.page_end, start=p.start,
                                     end=p.end, in_box=p.in_box, offsets=list(p.offsets))
                        for p in doc.paragraphs],
            tables=[TableOut(id=t.id, number=t.number, title=t.title, unit=t.unit,
                             header=list(t.header),
                             rows=[RowOut(cells=list(r.cells), start=r.start, end=r.end) for r in t.rows],
                             source=t.source, section_path=list(t.section_path),
                             page_start=t.page_start, page_end=t.page_end, start=t.start, end=t.end)
                    for t in doc.tables],
            notes=notes,
        )

    # The API docs come from the swagger-ui-bundle package, not a CDN: they work offline.
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title="reportqa API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
