"""The page, its static files and the API docs, all served from the package (no CDN)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(str(resources.files("reportqa.api") / "static"))
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """The Swagger UI over ``/openapi.json``."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json", title="reportqa API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js", swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon-32x32.png",
    )


@router.get("/")
def page() -> FileResponse:
    """The question page."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


def static_files() -> dict[str, StaticFiles]:
    """The folders mounted beside the routes: the page's files and the docs' assets."""
    return {"/static": StaticFiles(directory=str(STATIC)), "/docs-assets": StaticFiles(directory=swagger_ui_path)}
