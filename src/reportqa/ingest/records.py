"""Frozen records of a rebuilt report.

Every unit keeps ``start``/``end``: character offsets (Python ``str`` indices)
into the corpus file, so any unit can be located and highlighted in the
original text. ``spans`` lists the exact pieces of the file a unit's text was
built from (a paragraph interrupted by a footnote or a figure has several).
Pages are the report's printed page numbers.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

Span = tuple[int, int]


@dataclass(frozen=True)
class Page:
    """One page of text: its printed number and its offsets in the file."""

    number: int
    start: int
    end: int


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

    def page_of(self, offset: int) -> int:
        """Printed page number holding character ``offset``."""
        return page_at(self.pages, offset)


def page_at(pages: tuple[Page, ...], offset: int) -> int:
    """Printed number of the page holding character ``offset`` (pages in order)."""
    k = bisect.bisect_right([p.start for p in pages], offset) - 1
    return pages[max(k, 0)].number
