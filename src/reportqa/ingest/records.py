"""Frozen records of a rebuilt report.

Every unit keeps ``start``/``end``: character offsets (Python ``str`` indices)
into the corpus file, so any unit can be located and highlighted in the
original text. ``spans`` lists the exact pieces of the file a unit's text was
built from (a paragraph interrupted by a footnote or a figure has several).
Pages are the report's printed page numbers.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True)
class Page:
    """One page of text: its printed number and its offsets in the file; for a
    PDF also its page in the file (from 1) and its size in points."""

    number: int
    start: int
    end: int
    pdf_page: int = 0
    width: float = 0.0
    height: float = 0.0


@dataclass(frozen=True)
class LineBox:
    """Where one line of a PDF's document text lies on its page: the line's
    offsets, the PDF page (from 1), its top and bottom, and the left edge of
    each character then the right edge of the last (points, from the top left)."""

    start: int
    end: int
    page: int
    top: float
    bottom: float
    xs: tuple[float, ...]


@dataclass(frozen=True)
class Section:
    """A heading and where its section lies. ``level`` 0 is outermost."""

    id: str
    title: str
    level: int
    path: tuple[str, ...]
    start: int
    end: int
    is_box: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph rejoined across line and page breaks, markers removed."""

    id: str
    text: str
    section_path: tuple[str, ...]
    page_start: int
    page_end: int
    start: int
    end: int
    spans: tuple[Span, ...]
    offsets: tuple[int, ...]
    in_box: bool = False


@dataclass(frozen=True)
class TableRow:
    """One data row of a table; ``cells`` line up with the table's header."""

    cells: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Table:
    """A table rebuilt from flattened lines: title, unit, header, rows, source."""

    id: str
    number: str
    title: str
    unit: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    source: str
    section_path: tuple[str, ...]
    page_start: int
    page_end: int
    start: int
    end: int


@dataclass(frozen=True)
class Caption:
    """A figure caption with its data source line."""

    id: str
    number: str
    text: str
    source: str
    section_path: tuple[str, ...]
    page_start: int
    page_end: int
    start: int
    end: int


@dataclass(frozen=True)
class Footnote:
    """A footnote, linked to the offset of its marker in the prose."""

    id: str
    number: int
    text: str
    marker_offset: int
    section_path: tuple[str, ...]
    page_start: int
    page_end: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A rebuilt report. ``doc_id`` is the corpus file's stem."""

    doc_id: str
    path: str
    sha256: str
    text: str
    pages: tuple[Page, ...]
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    tables: tuple[Table, ...]
    captions: tuple[Caption, ...]
    footnotes: tuple[Footnote, ...]
    layout: tuple[LineBox, ...] = ()  # a PDF's lines on their pages; empty for a text extraction
    title: str = ""

    def page_of(self, offset: int) -> int:
        """Printed page number holding character ``offset``."""
        return page_at(self.pages, offset)


def page_at(pages: tuple[Page, ...], offset: int) -> int:
    """Printed number of the page holding character ``offset`` (pages in order)."""
    k = bisect.bisect_right([p.start for p in pages], offset) - 1
    return pages[max(k, 0)].number


def _tuples(value: object) -> object:
    """JSON lists back to the tuples the records hold (recursively)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def document_to_json(document: Document) -> dict[str, object]:
    """The JSON form of a document, stored with its index segment."""
    return dataclasses.asdict(document)


def document_from_json(data: dict[str, Any]) -> Document:
    """Inverse of :func:`document_to_json`."""
    def units(cls: type[Any], key: str) -> tuple[Any, ...]:
        return tuple(cls(**{k: _tuples(v) for k, v in item.items()}) for item in data[key])

    def table(item: dict[str, Any]) -> Table:
        fields: dict[str, Any] = {k: _tuples(v) for k, v in item.items() if k != "rows"}
        rows = tuple(TableRow(tuple(r["cells"]), r["start"], r["end"]) for r in item["rows"])
        return Table(**fields, rows=rows)

    tables = tuple(table(t) for t in data["tables"])
    return Document(
        doc_id=data["doc_id"], path=data["path"], sha256=data["sha256"], text=data["text"],
        pages=units(Page, "pages"), sections=units(Section, "sections"), paragraphs=units(Paragraph, "paragraphs"),
        tables=tables, captions=units(Caption, "captions"), footnotes=units(Footnote, "footnotes"),
        layout=units(LineBox, "layout") if "layout" in data else (), title=data.get("title", ""),
    )
