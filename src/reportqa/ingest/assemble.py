"""From what a reader collected (lines grouped into units) to a :class:`Document`.

Both readers of reports, the text-extraction parser and the PDF reader, walk
their input into a :class:`Collected` of lines (with offsets in the document
text they built) and hand it to :class:`DocumentBuilder`, so a paragraph, a
table or a footnote is made one way whatever the source.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from reportqa.ingest.lines import Line
from reportqa.ingest.normalize import clean_pieces, spans_of
from reportqa.ingest.reader import SourceFile
from reportqa.ingest.records import (
    Caption,
    Document,
    Footnote,
    Page,
    Paragraph,
    Section,
    Table,
    TableRow,
    page_at,
)
from reportqa.ingest.tables import TableReader

TABLE = re.compile(r"^表\s*(\d+)(?:\s|$)")
FIGURE = re.compile(r"^图\s*(\d+)(?:\s|$)")
TableCells = tuple[tuple[str, ...], tuple[TableRow, ...]]


@dataclass
class OpenParagraph:
    """A paragraph being collected."""

    lines: list[Line]
    path: tuple[str, ...]
    in_box: bool


class HeadingMark(NamedTuple):
    """A heading as the walk finds it."""

    title: str
    level: int
    path: tuple[str, ...]
    start: int
    is_box: bool


@dataclass
class Collected:
    """What the walk over the lines gathers, by kind."""

    paragraphs: list[OpenParagraph] = field(default_factory=list)
    # title, unit, body, source, section path, and the header and rows when the
    # reader found the cells itself (a PDF's ruled table); else TableReader reads the body
    tables: list[tuple[Line, Line | None, list[Line], Line, tuple[str, ...], TableCells | None]] = field(
        default_factory=list
    )
    captions: list[tuple[Line, Line | None, tuple[str, ...]]] = field(default_factory=list)
    footnotes: list[tuple[int, list[Line], int, tuple[str, ...]]] = field(default_factory=list)
    headings: list[HeadingMark] = field(default_factory=list)


class DocumentBuilder:
    """Turns collected line groups into frozen records with offsets and pages."""

    def __init__(self, source: SourceFile, text: str, pages: tuple[Page, ...]) -> None:
        self.source = source
        self.text = text
        self.pages = pages

    def _id(self, kind: str, start: int, end: int) -> str:
        digest = hashlib.sha1(f"{self.source.doc_id}:{kind}:{start}:{end}".encode()).hexdigest()
        return f"{kind}-{digest[:10]}"

    def _page(self, offset: int) -> int:
        return page_at(self.pages, offset)

    def build(self, c: Collected) -> Document:
        markers = frozenset(marker for _, _, marker, _ in c.footnotes)
        paragraphs = tuple(self._paragraph(p, markers) for p in c.paragraphs)
        tables = tuple(self._table(*t) for t in c.tables)
        captions = tuple(self._caption(*cap) for cap in c.captions)
        footnotes = tuple(
            self._footnote(number, lines, marker, self._path_at(c.headings, marker, path))
            for number, lines, marker, path in c.footnotes
        )
        ends = [p.end for p in paragraphs] + [t.end for t in tables] + [f.end for f in captions]
        sections = []
        heads = c.headings
        for k, (title, level, path, start, is_box) in enumerate(heads):
            nxt = next(
                (h.start for h in heads[k + 1 :] if (h.level <= level) or is_box),
                len(self.text),
            )
            if is_box:
                ends_here = [p.end for p in paragraphs if p.in_box and p.section_path[-1:] == (title,)
                             and p.start >= start]
                end = max(ends_here, default=start + len(title))
            else:
                end = max((e for e in ends if start < e <= nxt), default=start + len(title))
            sections.append(
                Section(self._id("sec", start, end), title, min(level, 5), path, start, end, is_box)
            )
        return Document(
            self.source.doc_id,
            self.source.path,
            self.source.sha256,
            self.text,
            self.pages,
            tuple(sections),
            paragraphs,
            tables,
            captions,
            footnotes,
        )

    @staticmethod
    def _path_at(
        headings: list[HeadingMark], offset: int, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Section path in force at ``offset``: a footnote belongs where its marker is."""
        path = default
        for heading in headings:
            if heading.start > offset:
                break
            path = heading.path
        return path

    def _paragraph(self, p: OpenParagraph, markers: frozenset[int]) -> Paragraph:
        text, offsets = clean_pieces(((ln.text, ln.start) for ln in p.lines), markers)
        start, end = offsets[0], offsets[-1] + 1
        return Paragraph(
            self._id("par", start, end),
            text,
            p.path,
            self._page(start),
            self._page(end - 1),
            start,
            end,
            spans_of(offsets, self.text),
            offsets,
            p.in_box,
        )

    def _caption(self, line: Line, source: Line | None, path: tuple[str, ...]) -> Caption:
        match = FIGURE.match(line.text)
        number = match.group(1) if match else ""
        text = numbered_title("图", number, line.text)
        source_text = clean_pieces([(source.text, source.start)])[0] if source else ""
        start = min(line.start, source.start) if source else line.start
        end = max(line.end, source.end) if source else line.end
        return Caption(
            self._id("fig", start, end), number, text, source_text, path,
            self._page(start), self._page(end - 1), start, end,
        )

    def _footnote(self, number: int, lines: list[Line], marker: int, path: tuple[str, ...]) -> Footnote:
        first = lines[0]
        body = first.text[len(str(number)) :].lstrip()
        pieces = [(body, first.end - len(body))] + [(ln.text, ln.start) for ln in lines[1:]]
        text = clean_pieces(pieces)[0]
        start, end = first.start, lines[-1].end
        return Footnote(
            self._id("fn", start, end), number, text, marker, path,
            self._page(start), self._page(end - 1), start, end,
        )

    def _table(
        self,
        title: Line,
        unit: Line | None,
        body: list[Line],
        source: Line,
        path: tuple[str, ...],
        cells: TableCells | None = None,
    ) -> Table:
        match = TABLE.match(title.text)
        number = match.group(1) if match else ""
        title_text = numbered_title("表", number, title.text)
        unit_text = clean_pieces([(unit.text, unit.start)])[0] if unit else ""
        source_text = clean_pieces([(source.text, source.start)])[0] if source is not title else ""
        header, rows = cells if cells is not None else TableReader().read(body)
        start, end = title.start, source.end
        return Table(
            self._id("tab", start, end), number, title_text, unit_text, header, rows,
            source_text, path, self._page(start), self._page(end - 1), start, end,
        )


def numbered_title(prefix: str, number: str, line: str) -> str:
    """``表 5 部分…`` -> ``表5 部分…``: the number stays apart from the title."""
    rest = re.sub(rf"^{prefix}\s*{number}", "", line)
    return f"{prefix}{number} {clean_pieces([(rest, 0)])[0]}".rstrip()
