"""Module-level dependencies of the routes, so that tests can replace them
through ``app.dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from reportqa.ingest.pages import PageImages
from reportqa.service import Components
from reportqa.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_components(request: Request) -> Components:
    """The loaded components; 503 while they load or when loading failed."""
    loaded = request.app.state.components
    if loaded is None:
        raise HTTPException(503, request.app.state.error or "the index is still loading")
    return loaded  # type: ignore[no-any-return]


def get_page_images(request: Request) -> PageImages:
    """The service's one page renderer (its cache of PDF bytes is shared)."""
    return request.app.state.page_images  # type: ignore[no-any-return]


Conf = Annotated[Settings, Depends(get_settings)]
Pages = Annotated[PageImages, Depends(get_page_images)]
Loaded = Annotated[Components, Depends(get_components)]
