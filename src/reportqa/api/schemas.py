"""Request and response models of the HTTP API (separate from internal records). The
shapes of a hit and an answer live in :mod:`reportqa.rendering`, which the CLI's ``--json`` prints too."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from reportqa.ingest.normalize import strip_control
from reportqa.rendering import AskResponse, CitationOut, HitOut, PassageFields, SeeAlsoOut, Timings
from reportqa.settings import MAX_TOP_K, Mode


class AskRequest(BaseModel):
    """A question, with optional retrieval depth and mode; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(min_length=1, max_length=500,
                                description="1-500 characters after trimming; control characters are removed")
    top_k: StrictInt | None = Field(default=None, ge=1, le=MAX_TOP_K,
                                    description=f"passages to retrieve (1-{MAX_TOP_K})")
    mode: Mode | None = None
    doc_ids: list[StrictStr] | None = Field(default=None, min_length=1, max_length=100,
                                            description="answer from these reports only (all by default)")
    history: list[StrictStr] = Field(default_factory=list, max_length=20,
                                     description="the earlier questions of the conversation, oldest first: "
                                                 "a follow-up (那进口呢, 2021年呢) is resolved against them")

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, value: object) -> object:
        # the length limits apply to the question after trimming and removing control characters
        return strip_control(value) if isinstance(value, str) else value


class PassageOut(PassageFields):
    """One passage with its location and its neighbours' ids."""

    # pairs of offsets; a fixed-length list rather than a tuple, whose ``prefixItems`` schema
    # schemathesis cannot check
    spans: list[Annotated[list[int], Field(min_length=2, max_length=2)]]
    previous_id: str | None
    next_id: str | None


class SectionOut(BaseModel):
    """A heading of the rebuilt report."""

    id: str
    title: str
    level: int
    path: list[str]
    start: int
    end: int
    is_box: bool


class ParagraphOut(BaseModel):
    """A paragraph of the rebuilt report."""

    id: str
    text: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int
    in_box: bool
    offsets: list[int] = Field(description="corpus offset of each character of text")


class RowOut(BaseModel):
    """A table row."""

    cells: list[str]
    start: int
    end: int


class TableOut(BaseModel):
    """A table of the rebuilt report."""

    id: str
    number: str
    title: str
    unit: str
    header: list[str]
    rows: list[RowOut]
    source: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int


class NoteOut(BaseModel):
    """A figure caption or a footnote."""

    id: str
    kind: Literal["caption", "footnote"]
    text: str
    section_path: list[str]
    page_start: int
    page_end: int
    start: int
    end: int


class DocumentOut(BaseModel):
    """The rebuilt report for the viewer, every unit with its offsets."""

    doc_id: str
    title: str
    pdf_pages: int  # pages of its PDF with images (GET /documents/{id}/pages/{n}.png); 0 for a text extraction
    pages: int
    first_page: int
    last_page: int
    sections: list[SectionOut]
    paragraphs: list[ParagraphOut]
    tables: list[TableOut]
    notes: list[NoteOut]


class PageBoxesOut(BaseModel):
    """A PDF page's size (points) and the boxes ``[x0, top, x1, bottom]`` of a quote on it."""

    page: int
    width: float
    height: float
    boxes: list[list[float]]


class BoxesOut(BaseModel):
    """Where a quote lies on a PDF report's pages."""

    pages: list[PageBoxesOut]


class HealthOut(BaseModel):
    """Service status."""

    status: Literal["ok", "loading", "error"]
    passages: int
    model: str
    index_built_at: str | None
    documents: list[str]
    store: Literal["faiss", "milvus"]  # where the index lives and is searched
    detail: str | None = None


class ErrorOut(BaseModel):
    """An error with a message."""

    detail: str

__all__ = ["AskRequest", "AskResponse", "CitationOut", "DocumentOut", "ErrorOut", "HealthOut", "HitOut",
           "NoteOut", "ParagraphOut", "PassageOut", "RowOut", "SectionOut", "SeeAlsoOut", "TableOut", "Timings"]
