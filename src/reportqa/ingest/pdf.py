"""Reads a report PDF into the same :class:`Document` the text path makes.

pdfplumber (MIT, on pdfminer.six) gives every character with its font, size
and position, the ruling lines and rectangles. From those, by layout rather
than by the wording of one report:

- running headers and footers are lines near the top or bottom edge that
  repeat (digits aside) on most pages; a footer that is a number gives the
  printed page number (folio);
- the body size is the most common character size; headings are bold or
  larger lines, their level the rank of their size among headings;
- footnotes are small-type lines at the foot of a page that start with their
  number; their markers are small characters inside body lines;
- tables are found from their ruling lines (``find_tables``); a table at the
  top of a page with no title continues the previous one;
- a box (专栏) is a framed rectangle holding text, its bold first line the title;
- paragraphs start at an indented line and end at a line short of the right
  margin, so they are rejoined across line and page breaks.

The document text is the kept lines, one per line (a table row is its cells
joined by spaces); every line of it keeps its page and the left edge of each
character (:class:`~reportqa.ingest.records.LineBox`), so a quote can be
highlighted on the rendered page.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reportqa.ingest.assemble import FIGURE, TABLE, Collected, DocumentBuilder, HeadingMark, OpenParagraph
from reportqa.ingest.lines import Line
from reportqa.ingest.normalize import clean_heading, clean_pieces
from reportqa.ingest.reader import CorpusError, SourceFile
from reportqa.ingest.records import Document, LineBox, Page, TableRow

SOURCE = re.compile(r"^(数据来源|资料来源)\s*[：:]")
UNIT = re.compile(r"^[（(]\s*单位\s*[：:].*[）)]$")
FOLIO = re.compile(r"^[-–—]?\s*(\d{1,4})\s*[-–—]?$")
FOOTNOTE = re.compile(r"^(\d{1,2})(?![\d.．、])\s*\S")
SENTENCE_END = ("。", "！", "？", "”", "；")


@dataclass(frozen=True)
class _Char:
    text: str
    x0: float
    x1: float
    size: float
    bold: bool


@dataclass(frozen=True)
class _Line:
    page: int
    top: float
    bottom: float
    chars: tuple[_Char, ...]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        return self.chars[-1].x1

    @property
    def size(self) -> float:
        return statistics.median(c.size for c in self.chars)

    @property
    def bold(self) -> bool:
        return sum(c.bold for c in self.chars) * 2 > len(self.chars)


@dataclass(frozen=True)
class _Table:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    rows: tuple[tuple[str, ...], ...]
    row_boxes: tuple[tuple[float, float], ...]  # top, bottom of each row


@dataclass(frozen=True)
class _Page:
    number: int  # the PDF page, from 1
    width: float
    height: float
    lines: tuple[_Line, ...]
    tables: tuple[_Table, ...]
    boxes: tuple[tuple[float, float, float, float], ...]  # framed rectangles holding text


def _inside(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] - 1 <= x <= box[2] + 1 and box[1] - 1 <= y <= box[3] + 1


def _spaced(chars: list[_Char]) -> tuple[_Char, ...]:
    """The characters of a line with a space where the gap between two is
    wider than a fifth of the type size (a PDF often draws no space glyph)."""
    out: list[_Char] = []
    for char in chars:
        if out and char.x0 - out[-1].x1 > 0.2 * min(char.size, out[-1].size):
            out.append(_Char(" ", out[-1].x1, char.x0, char.size, char.bold))
        out.append(char)
    return tuple(out)


def _read_page(page: Any, number: int) -> _Page:
    """One page's lines (table text left out), ruled tables and framed boxes."""
    found = page.find_tables()
    table_boxes = [t.bbox for t in found]

    def outside_tables(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(_inside(cx, cy, b) for b in table_boxes)

    lines = []
    for raw in page.filter(outside_tables).extract_text_lines(return_chars=True, strip=True):
        chars = _spaced([_Char(c["text"], float(c["x0"]), float(c["x1"]), round(float(c["size"]), 2),
                               "bold" in c["fontname"].lower()) for c in raw["chars"] if c["text"].strip()])
        if chars:
            lines.append(_Line(number, float(raw["top"]), float(raw["bottom"]), chars))
    tables = []
    for t in found:
        cells = [tuple(clean_pieces([((c or "").replace("\n", ""), 0)])[0] for c in row) for row in t.extract()]
        boxes = tuple((float(r.bbox[1]), float(r.bbox[3])) for r in t.rows)
        x0, top, x1, bottom = (float(v) for v in t.bbox)
        tables.append(_Table(number, top, bottom, x0, x1, tuple(cells), boxes))
    frames = []
    for rect in page.rects:
        box = (float(rect["x0"]), float(rect["top"]), float(rect["x1"]), float(rect["bottom"]))
        big = box[2] - box[0] > 100 and box[3] - box[1] > 20
        if big and not any(_inside(box[0] + 2, box[1] + 2, b) for b in table_boxes) and any(
                _inside(ln.x0, (ln.top + ln.bottom) / 2, box) for ln in lines):
            frames.append(box)
    return _Page(number, float(page.width), float(page.height), tuple(lines), tuple(tables), tuple(frames))


def _store_table(walk: _Walk) -> None:
    """Write the table being read back into the collected units (its last line
    stands for its source until the source line comes)."""
    assert walk.table is not None
    title, unit, body, source, path, cells = walk.table
    walk.out.tables[-1] = (title, unit, body, source or body[-1], path, cells)


def _running_key(line: _Line) -> str:
    return re.sub(r"\d+", "#", line.text.replace(" ", ""))


@dataclass
class _Walk:
    """What the walk over the PDF's lines builds: the document text, its line
    boxes, and the units collected for :class:`DocumentBuilder`."""

    out: Collected = field(default_factory=Collected)
    parts: list[str] = field(default_factory=list)
    position: int = 0
    layout: list[LineBox] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    para: OpenParagraph | None = None
    para_closed: bool = True  # the open paragraph's last line ended short of the margin
    interrupted: bool = False  # a page break, figure or table came since the last prose line
    box: tuple[float, float, float, float] | None = None
    title: tuple[Line, Line | None] | None = None  # a table title (and unit) waiting for its table
    table: list[Any] | None = None  # the last table: [title, unit, body, source, path, rows]
    caption: Line | None = None
    footnote: tuple[int, list[Line], int, tuple[str, ...]] | None = None
    markers: dict[int, int] = field(default_factory=dict)  # footnote number -> offset of its marker

    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.stack)

    def emit(self, text: str, page: int, top: float, bottom: float, xs: tuple[float, ...],
             first: bool = False) -> Line:
        """Append one line to the document text and its box to the layout."""
        line = Line(text, self.position, page, True, first)
        self.parts.append(text + "\n")
        self.layout.append(LineBox(self.position, self.position + len(text), page, round(top, 2),
                                   round(bottom, 2), xs))
        self.position += len(text) + 1
        return line

    def close_para(self) -> None:
        if self.para is not None:
            self.out.paragraphs.append(self.para)
            self.para = None
        self.para_closed = True


class PdfReader:
    """Reads one report PDF.

    Args:
        running_share: a line near the page edge repeating on at least this
            share of the pages is a running header or footer.
        edge_share: how near the top or bottom edge (share of the page height).
    """

    def __init__(self, running_share: float = 0.5, edge_share: float = 0.1) -> None:
        self.running_share = running_share
        self.edge_share = edge_share

    def read(self, path: Path) -> tuple[SourceFile, Document]:
        """The source file (its text is the document text) and the rebuilt document;
        :class:`CorpusError` for a file that is not a readable, unencrypted PDF with text."""
        pages, metadata, data = self._open(path)
        if not any(p.lines or p.tables for p in pages):
            raise CorpusError(f"{path}: the PDF has no text layer (a scan?): add a PDF with text")
        running, folios = self._running(pages)
        body = Counter(c.size for p in pages for ln in p.lines for c in ln.chars).most_common(1)[0][0]
        levels = self._heading_levels(pages, running, body)
        walk = _Walk()
        records = self._walk(pages, running, body, levels, walk)
        text = "".join(walk.parts)
        source = SourceFile(path.stem, str(path), text, hashlib.sha256(data).hexdigest())
        pages_out = tuple(
            Page(folios.get(p.number, p.number), start, end, p.number, round(p.width, 2), round(p.height, 2))
            for p, (start, end) in zip(pages, records, strict=True)
        )
        document = DocumentBuilder(source, text, pages_out).build(walk.out)
        title = str(metadata.get("Title") or "").strip() or path.stem
        return source, replace(document, layout=tuple(walk.layout), title=title)

    @staticmethod
    def _open(path: Path) -> tuple[list[_Page], dict[str, Any], bytes]:
        import pdfplumber
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if not data.lstrip()[:5] == b"%PDF-":
            raise CorpusError(f"{path}: not a PDF (no %PDF- header)")
        try:
            with pdfplumber.open(path) as pdf:
                if pdf.doc.encryption:
                    raise CorpusError(f"{path}: the PDF is encrypted: add a copy without a password")
                if not pdf.pages:
                    raise CorpusError(f"{path}: the PDF has no pages")
                return [_read_page(p, k) for k, p in enumerate(pdf.pages, start=1)], dict(pdf.metadata), data
        except CorpusError:
            raise
        except Exception as exc:  # pdfminer raises many kinds for a broken file; pdfplumber wraps them
            cause = next((a for a in exc.args if isinstance(a, Exception)), exc)
            if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
                raise CorpusError(f"{path}: the PDF is encrypted: add a copy without a password") from None
            raise CorpusError(f"{path}: not a readable PDF ({type(cause).__name__})") from None

    def _running(self, pages: list[_Page]) -> tuple[set[tuple[int, float]], dict[int, int]]:
        """Lines to drop (page, top) as running headers/footers, and the folio of each page."""
        edge: dict[str, list[_Line]] = {}
        for p in pages:
            for ln in p.lines:
                if ln.top < p.height * self.edge_share or ln.bottom > p.height * (1 - self.edge_share):
                    edge.setdefault(_running_key(ln), []).append(ln)
        need = max(2, self.running_share * len(pages))
        running: set[tuple[int, float]] = set()
        folios: dict[int, int] = {}
        for lines in edge.values():
            if len({ln.page for ln in lines}) >= need:
                for ln in lines:
                    running.add((ln.page, ln.top))
                    folio = FOLIO.match(ln.text.replace(" ", ""))
                    if folio:
                        folios[ln.page] = int(folio.group(1))
        return running, folios

    @staticmethod
    def _is_heading(line: _Line, body: float) -> bool:
        text = line.text
        return ((line.bold or line.size >= body * 1.1) and len(text) <= 40 and not text.endswith("。")
                and not TABLE.match(text) and not FIGURE.match(text))

    def _heading_levels(self, pages: list[_Page], running: set[tuple[int, float]], body: float) -> dict[float, int]:
        """Heading size (rounded to half a point) -> level: larger is outer."""
        sizes = {round(ln.size * 2) / 2 for p in pages for ln in p.lines
                 if (ln.page, ln.top) not in running and self._is_heading(ln, body)
                 and not any(_inside(ln.x0, ln.top + 1, b) for b in p.boxes)}
        return {size: level for level, size in enumerate(sorted(sizes, reverse=True))}

    def _walk(self, pages: list[_Page], running: set[tuple[int, float]], body: float,
              levels: dict[float, int], walk: _Walk) -> list[tuple[int, int]]:
        """Every page's lines and tables in reading order into ``walk``; returns
        each page's start and end in the document text."""
        spans = []
        for page in pages:
            start = walk.position
            items: list[tuple[float, Any]] = [(ln.top, ln) for ln in page.lines if (ln.page, ln.top) not in running]
            items += [(t.top, t) for t in page.tables]
            items.sort(key=lambda item: item[0])
            last_big = max((ln.top for _, ln in items if isinstance(ln, _Line) and ln.size >= body * 0.9),
                           default=0.0)
            left = min((ln.x0 for _, ln in items if isinstance(ln, _Line) and abs(ln.size - body) < 0.3),
                       default=0.0)
            right = max((ln.x1 for _, ln in items if isinstance(ln, _Line) and abs(ln.size - body) < 0.3),
                        default=page.width)
            first = True
            for _, item in items:
                if isinstance(item, _Table):
                    self._table(item, walk, first)
                else:
                    self._line(item, page, walk, body, levels, (left, right), item.top > last_big, first)
                first = False
            self._end_page(walk)
            spans.append((start, walk.position))
        walk.close_para()
        if walk.footnote is not None:
            walk.out.footnotes.append(walk.footnote)
        return spans

    @staticmethod
    def _end_page(walk: _Walk) -> None:
        walk.interrupted = True
        if walk.footnote is not None:
            walk.out.footnotes.append(walk.footnote)
            walk.footnote = None
        walk.caption = None

    def _line(self, line: _Line, page: _Page, walk: _Walk, body: float, levels: dict[float, int],
              margins: tuple[float, float], at_foot: bool, first: bool) -> None:
        """Place one line: footnote, table title, unit or source, caption, box, heading or prose."""
        xs = tuple(round(c.x0, 2) for c in line.chars) + (round(line.x1, 2),)
        marks = [k for k, c in enumerate(line.chars) if c.size < body * 0.75 and c.text.isdigit()]
        emitted = walk.emit(line.text, page.number, line.top, line.bottom, xs, first)
        text = line.text
        if at_foot and line.size < body * 0.85 and self._footnote(emitted, walk):
            return
        if self._table_part(emitted, walk):
            walk.interrupted = True
            return
        if FIGURE.match(text):  # a figure interrupts a paragraph, which goes on after it
            walk.caption = emitted
            walk.interrupted = True
            walk.out.captions.append((emitted, None, walk.path()))
            return
        box = next((b for b in page.boxes if _inside(line.x0, line.top + 1, b)), None)
        if box != walk.box:
            self._box_change(walk, box, line, emitted, first)
            if walk.stack and walk.stack[-1][0] == 99 and walk.out.headings[-1].start == emitted.start:
                return
        if self._is_heading(line, body) and box is None:
            self._heading(walk, emitted, levels.get(round(line.size * 2) / 2, len(levels)))
            return
        if box is not None:  # a box's own margins: its text lines' edges
            inner = [ln for ln in page.lines if _inside(ln.x0, ln.top + 1, box) and not ln.bold]
            margins = (min(ln.x0 for ln in inner), max(ln.x1 for ln in inner)) if inner else (box[0], box[2])
        self._prose(walk, line, emitted, margins, marks)

    @staticmethod
    def _footnote(line: Line, walk: _Walk) -> bool:
        """A footnote line at the page foot: it starts a note with its number or continues one."""
        match = FOOTNOTE.match(line.text)
        number = len(walk.out.footnotes) + (walk.footnote is not None) + 1
        if match and int(match.group(1)) == number and number in walk.markers:
            if walk.footnote is not None:
                walk.out.footnotes.append(walk.footnote)
            walk.footnote = (number, [line], walk.markers[number], walk.path())
            return True
        if walk.footnote is not None:
            walk.footnote[1].append(line)
            return True
        return False

    @staticmethod
    def _table_part(line: Line, walk: _Walk) -> bool:
        """A table title, its unit line, or the source line after a table or figure."""
        if TABLE.match(line.text):
            walk.title = (line, None)
            return True
        if walk.title is not None and walk.title[1] is None and UNIT.match(line.text):
            walk.title = (walk.title[0], line)
            return True
        if SOURCE.match(line.text):
            if walk.table is not None and walk.table[3] is None:
                walk.table[3] = line
                _store_table(walk)
                return True
            if walk.caption is not None:
                title, _, path = walk.out.captions[-1]
                walk.out.captions[-1] = (title, line, path)
                walk.caption = None
                return True
        return False

    @staticmethod
    def _table(table: _Table, walk: _Walk, first: bool) -> None:
        """A ruled table: its rows become lines of the text; a table without a
        title continues the previous one (its repeated header row dropped).
        A paragraph it interrupts goes on after it."""
        walk.interrupted = True
        rows = list(table.rows)
        lines = []
        for k, cells in enumerate(rows):
            text = " ".join(cells)
            top, bottom = table.row_boxes[k] if k < len(table.row_boxes) else (table.top, table.bottom)
            step = (table.x1 - table.x0) / max(len(text), 1)
            xs = tuple(round(table.x0 + step * i, 2) for i in range(len(text) + 1))
            lines.append(walk.emit(text, table.page, top, bottom, xs, first and k == 0))
        if walk.title is None and walk.table is not None:
            header, body_rows = walk.table[5]
            start = 1 if rows and tuple(rows[0]) == header else 0
            extra = tuple(TableRow(tuple(r), ln.start, ln.end) for r, ln in zip(rows[start:], lines[start:],
                                                                               strict=True))
            walk.table[2] = walk.table[2] + lines
            walk.table[5] = (header, body_rows + extra)
            walk.table[3] = None
            _store_table(walk)
            return
        title, unit = walk.title if walk.title is not None else (lines[0], None)
        header = tuple(rows[0]) if rows else ()
        body_rows = tuple(TableRow(tuple(r), ln.start, ln.end) for r, ln in zip(rows[1:], lines[1:], strict=True))
        walk.table = [title, unit, lines, None, walk.path(), (header, body_rows)]
        walk.out.tables.append((title, unit, lines, lines[-1], walk.path(), (header, body_rows)))
        walk.title = None
        _store_table(walk)

    @staticmethod
    def _box_change(walk: _Walk, box: tuple[float, float, float, float] | None, line: _Line, emitted: Line,
                    first: bool) -> None:
        """Entering a box opens a section titled by its bold first line; leaving it closes it.
        A box going on at the top of the next page is the same box."""
        continues = first and box is not None and walk.box is not None and not line.bold
        walk.box = box
        if continues:
            return
        walk.close_para()
        if walk.stack and walk.stack[-1][0] == 99:
            walk.stack.pop()
        if box is not None and line.bold:
            title = clean_heading(emitted.text)
            walk.stack.append((99, title))
            walk.out.headings.append(HeadingMark(title, 99, walk.path(), emitted.start, True))

    @staticmethod
    def _heading(walk: _Walk, line: Line, level: int) -> None:
        walk.close_para()
        if walk.out.headings and walk.out.headings[-1].start + len(walk.out.headings[-1].title) + 1 >= line.start \
                and walk.stack and walk.stack[-1][0] == level and not walk.out.headings[-1].is_box:
            # a heading wrapped over two lines
            last = walk.out.headings.pop()
            walk.stack.pop()
            title = clean_heading(last.title + line.text)
            walk.stack.append((level, title))
            walk.out.headings.append(HeadingMark(title, level, walk.path(), last.start, False))
            return
        while walk.stack and walk.stack[-1][0] >= level:
            walk.stack.pop()
        title = clean_heading(line.text)
        walk.stack.append((level, title))
        walk.out.headings.append(HeadingMark(title, level, walk.path(), line.start, False))

    @staticmethod
    def _prose(walk: _Walk, line: _Line, emitted: Line, margins: tuple[float, float], marks: list[int]) -> None:
        """A body line: an indented line starts a paragraph, a line short of the
        right margin ends one; a paragraph runs on over a page break."""
        left, right = margins
        indented = line.x0 - left > line.size * 0.8
        # across a page break or a figure the last line before it is often set short:
        # an unindented line goes on with a paragraph that stopped mid-sentence
        runs_on = walk.interrupted and walk.para is not None and not walk.para.lines[-1].text.endswith(SENTENCE_END)
        walk.interrupted = False
        if walk.para is None or (walk.para_closed and not runs_on) or indented:
            walk.close_para()
            walk.para = OpenParagraph([emitted], walk.path(), walk.box is not None)
        else:
            walk.para.lines.append(emitted)
        for k in marks:
            number = int(line.chars[k].text)
            walk.markers.setdefault(number, emitted.start + k)
        walk.para_closed = right - line.x1 > line.size * 1.5 or line.text.endswith(SENTENCE_END) and \
            right - line.x1 > line.size * 0.6
