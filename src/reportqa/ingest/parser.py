"""Rebuilds a PDF-extracted report into a structured :class:`Document`.

The extraction hard-wraps lines at ~25 characters with blank lines between
them; a line that starts with one space begins a new PDF page, and a footer
line such as ``- 9 -`` also closes a page. Footnote markers are glued to words
(``数字贸易1成为``) and the footnote text sits at the bottom of the page;
figure captions (``图 1 …``) come with a ``数据来源：`` line; tables (``表 1 …``)
are flattened into lines with cells, even numbers, broken across lines; boxed
case studies (``专栏 1：…``) are set in longer lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from reportqa.ingest.lines import Line
from reportqa.ingest.normalize import clean_heading, clean_pieces, display_width, spans_of
from reportqa.ingest.reader import CorpusError, SourceFile
from reportqa.ingest.records import (
    Caption,
    Document,
    Footnote,
    Page,
    Paragraph,
    Section,
    Table,
    page_at,
)
from reportqa.ingest.tables import TableReader

FOOTER = re.compile(r"^-\s*(\d+)\s*-$")
PART = re.compile(r"^\S{1,8}篇\s*——")
LEVEL2 = re.compile(r"^[一二三四五六七八九十]+、")
LEVEL3 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
LEVEL4 = re.compile(r"^\d{1,2}\s*[.．](?!\d)")
BOX = re.compile(r"^专栏\s*\d+\s*[：:]")
TABLE = re.compile(r"^表\s*(\d+)(?:\s|$)")
FIGURE = re.compile(r"^图\s*(\d+)(?:\s|$)")
SOURCE = re.compile(r"^(数据来源|资料来源)\s*[：:]")
UNIT = re.compile(r"^[（(]\s*单位\s*[：:].*[）)]$")
SENTENCE_END = ("。", "！", "？", "。”", "！”", "？”")  # a paragraph may close after these
HEADING_STOPS = re.compile(r"[。！？；]")
TITLE_STOPS = re.compile(r"[，。、：；！？“”《》,.:;]")
UNIT_CHARS = "年月日个家亿万元项件倍次名位条号期届人岁种款部套%"


@dataclass
class _Open:
    """A paragraph being collected."""

    lines: list[Line]
    path: tuple[str, ...]
    in_box: bool


class _Heading(NamedTuple):
    """A heading as the walk finds it."""

    title: str
    level: int
    path: tuple[str, ...]
    start: int
    is_box: bool


@dataclass
class _Collected:
    """What the walk over the lines gathers, by kind."""

    paragraphs: list[_Open] = field(default_factory=list)
    tables: list[tuple[Line, Line | None, list[Line], Line, tuple[str, ...]]] = field(
        default_factory=list
    )
    captions: list[tuple[Line, Line | None, tuple[str, ...]]] = field(default_factory=list)
    footnotes: list[tuple[int, list[Line], int, tuple[str, ...]]] = field(default_factory=list)
    headings: list[_Heading] = field(default_factory=list)


@dataclass
class _State:
    """What the walk carries from one line to the next."""

    out: _Collected
    stack: list[tuple[int, str]] = field(default_factory=list)  # (level, title) of the open sections
    para: _Open | None = None
    in_box: bool = False
    page_prose: list[Line] = field(default_factory=list)  # this page's prose lines, for footnote markers
    footnote: tuple[int, list[Line], int, tuple[str, ...]] | None = None
    pending_source: Line | None = None  # a data-source line waiting for its figure title

    def path(self) -> tuple[str, ...]:
        """The titles of the open sections, outermost first."""
        return tuple(title for _, title in self.stack)

    def para_open(self) -> bool:
        """Whether the open paragraph runs on (its last line ends mid-sentence)."""
        return self.para is not None and not self.para.lines[-1].text.endswith(SENTENCE_END)

    def close_para(self) -> None:
        """Keep the open paragraph, if any."""
        if self.para is not None:
            self.out.paragraphs.append(self.para)
            self.para = None


class ReportParser:
    """Turns one corpus file into a :class:`Document`.

    Args:
        paragraph_width: a line after a sentence end that is at most this wide
            (in ems) starts a new paragraph: first lines are indented.
        box_paragraph_width: the same for the wider lines of a 专栏 box.
        box_exit_width: a new paragraph this narrow ends a box.
        max_heading_width: headings are short lines.
    """

    def __init__(
        self,
        paragraph_width: float = 25.0,
        box_paragraph_width: float = 39.5,
        box_exit_width: float = 32.0,
        max_heading_width: float = 26.0,
    ) -> None:
        self.paragraph_width = paragraph_width
        self.box_paragraph_width = box_paragraph_width
        self.box_exit_width = box_exit_width
        self.max_heading_width = max_heading_width

    def parse(self, source: SourceFile) -> Document:
        """Rebuild ``source`` into paragraphs, sections, tables, captions and footnotes."""
        text = source.text
        lines, page_starts, footers = self._scan(text)
        if not page_starts:
            raise CorpusError(f"{source.path}: no report text (only blank lines and page footers)")
        collected = self._collect(lines, text)
        offset = 0
        if footers:
            number, page_index = footers[0]
            offset = number - page_index
        pages = tuple(
            Page(i + 1 + offset, start, page_starts[i + 1] if i + 1 < len(page_starts) else len(text))
            for i, start in enumerate(page_starts)
        )
        builder = _DocumentBuilder(source, text, pages)
        return builder.build(collected)

    # -- pass 1: lines and pages ------------------------------------------------
    def _scan(self, text: str) -> tuple[list[Line], list[int], list[tuple[int, int]]]:
        lines: list[Line] = []
        page_starts: list[int] = []
        footers: list[tuple[int, int]] = []
        pending_page = True
        blank = False
        position = 0
        for raw in text.split("\n"):
            line_start = position
            position += len(raw) + 1
            content = raw.strip()
            if raw.startswith(" "):
                pending_page = True
            if not content:
                blank = True
                continue
            footer = FOOTER.match(content)
            if footer:
                footers.append((int(footer.group(1)), len(page_starts)))
                pending_page = True
                blank = True
                continue
            start = line_start + raw.index(content[0])
            first = pending_page
            if pending_page:
                page_starts.append(start)
                pending_page = False
            lines.append(Line(content, start, len(page_starts), blank or first, first))
            blank = False
        return lines, page_starts, footers

    # -- pass 2: units ------------------------------------------------------------
    def _collect(self, lines: list[Line], text: str) -> _Collected:
        """Walk the lines once; each line goes to the first step that takes it
        (each ``_take_<kind>`` returns the index of the next line, or ``None``)."""
        state = _State(_Collected())
        steps = (self._take_footnote_line, self._take_table_at, self._take_source, self._take_caption,
                 self._take_footnote_start, self._take_heading, self._take_box, self._take_paragraph,
                 self._take_continuation)
        i = 0
        while i < len(lines):
            if lines[i].page_first:
                state.page_prose = []
            for step in steps:
                taken = step(lines, i, state)
                if taken is not None:
                    i = taken
                    break
        state.close_para()
        if state.footnote is not None:
            state.out.footnotes.append(state.footnote)
        return state.out

    def _take_footnote_line(self, lines: list[Line], i: int, state: _State) -> int | None:
        """A line continuing an open footnote on its page; any other line closes the footnote."""
        if state.footnote is None:
            return None
        if lines[i].page == state.footnote[1][0].page and not self._footnote_start(
                lines[i].text, len(state.out.footnotes) + 2):
            state.footnote[1].append(lines[i])
            return i + 1
        state.out.footnotes.append(state.footnote)
        state.footnote = None
        return None

    def _take_table_at(self, lines: list[Line], i: int, state: _State) -> int | None:
        """A table title line: the whole table (see :meth:`_take_table`)."""
        return self._take_table(lines, i, state.out, state.path()) if TABLE.match(lines[i].text) else None

    @staticmethod
    def _take_source(lines: list[Line], i: int, state: _State) -> int | None:
        """A data-source line: with the figure title after it, or kept for the next figure title."""
        if not SOURCE.match(lines[i].text):
            return None
        if i + 1 < len(lines) and FIGURE.match(lines[i + 1].text):
            state.out.captions.append((lines[i + 1], lines[i], state.path()))
            return i + 2
        state.pending_source = lines[i]
        return i + 1

    @staticmethod
    def _take_caption(lines: list[Line], i: int, state: _State) -> int | None:
        """A figure title, with the source line seen before it, if any."""
        if not FIGURE.match(lines[i].text):
            return None
        state.out.captions.append((lines[i], state.pending_source, state.path()))
        state.pending_source = None
        return i + 1

    def _take_footnote_start(self, lines: list[Line], i: int, state: _State) -> int | None:
        """The next footnote's first line, when its marker is in this page's prose."""
        number = len(state.out.footnotes) + 1
        if not self._footnote_start(lines[i].text, number):
            return None
        marker = self._find_marker(state.page_prose, number)
        if marker is None:
            return None
        state.footnote = (number, [lines[i]], marker, state.path())
        return i + 1

    def _take_heading(self, lines: list[Line], i: int, state: _State) -> int | None:
        """A numbered heading, where a block may start: closes a box, pops deeper sections."""
        if state.para_open():
            return None
        level = self._heading_level(lines[i].text, state.in_box)
        if level is None:
            return None
        state.close_para()
        if state.in_box:
            state.stack.pop()
            state.in_box = False
        while state.stack and state.stack[-1][0] >= level:
            state.stack.pop()
        title = clean_heading(lines[i].text)
        state.stack.append((level, title))
        state.out.headings.append(_Heading(title, level, state.path(), lines[i].start, False))
        return i + 1

    @staticmethod
    def _take_box(lines: list[Line], i: int, state: _State) -> int | None:
        """A 专栏 box title, where a block may start: the box is a section of its own."""
        if state.para_open() or not BOX.match(lines[i].text):
            return None
        state.close_para()
        if state.in_box:
            state.stack.pop()
        title = clean_heading(lines[i].text)
        state.stack.append((99, title))
        state.out.headings.append(_Heading(title, 99, state.path(), lines[i].start, True))
        state.in_box = True
        return i + 1

    def _take_paragraph(self, lines: list[Line], i: int, state: _State) -> int | None:
        """A line that starts a paragraph: the first, or a short one after a
        sentence end (a short line inside a box may also end the box)."""
        if state.para_open():
            return None
        width = display_width(lines[i].text)
        if state.para is not None and width > (self.box_paragraph_width if state.in_box else self.paragraph_width):
            return None
        state.close_para()
        if state.in_box and width <= self.box_exit_width:
            state.stack.pop()
            state.in_box = False
        state.para = _Open([lines[i]], state.path(), state.in_box)
        state.page_prose.append(lines[i])
        return i + 1

    @staticmethod
    def _take_continuation(lines: list[Line], i: int, state: _State) -> int | None:
        """Any other line continues the open paragraph."""
        assert state.para is not None
        state.para.lines.append(lines[i])
        state.page_prose.append(lines[i])
        return i + 1

    def _heading_level(self, content: str, in_box: bool) -> int | None:
        if HEADING_STOPS.search(content) or display_width(content) > self.max_heading_width:
            return None
        if PART.match(content):
            return 0
        if LEVEL2.match(content):
            return 2
        if LEVEL3.match(content):
            return 3
        if LEVEL4.match(content):
            return 4
        if not in_box and not TITLE_STOPS.search(content) and display_width(content) <= 20:
            return 1
        return None

    @staticmethod
    def _footnote_start(content: str, number: int) -> bool:
        return re.match(rf"^{number}(?![\d.．、])\s*\S", content) is not None

    @staticmethod
    def _find_marker(page_prose: list[Line], number: int) -> int | None:
        """Offset of footnote marker ``number`` glued to a word on this page."""
        pattern = re.compile(
            rf"(?<=[\u4e00-\u9fff，。、）》”]){number}(?![\d.{UNIT_CHARS}])(?=[\u4e00-\u9fff，。、（(])"
        )
        for line in reversed(page_prose):
            hits = list(pattern.finditer(line.text))
            if hits:
                return line.start + hits[-1].start()
        return None

    def _take_table(self, lines: list[Line], i: int, out: _Collected, path: tuple[str, ...]) -> int:
        title = lines[i]
        i += 1
        unit: Line | None = None
        if i < len(lines) and UNIT.match(lines[i].text):
            unit = lines[i]
            i += 1
        body: list[Line] = []
        while i < len(lines) and not SOURCE.match(lines[i].text):
            body.append(lines[i])
            i += 1
        if i < len(lines):
            out.tables.append((title, unit, body, lines[i], path))
            return i + 1
        out.tables.append((title, unit, body, body[-1] if body else title, path))
        return i


class _DocumentBuilder:
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

    def build(self, c: _Collected) -> Document:
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
        headings: list[_Heading], offset: int, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Section path in force at ``offset``: a footnote belongs where its marker is."""
        path = default
        for heading in headings:
            if heading.start > offset:
                break
            path = heading.path
        return path

    def _paragraph(self, p: _Open, markers: frozenset[int]) -> Paragraph:
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
        text = _numbered_title("图", number, line.text)
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
    ) -> Table:
        match = TABLE.match(title.text)
        number = match.group(1) if match else ""
        title_text = _numbered_title("表", number, title.text)
        unit_text = clean_pieces([(unit.text, unit.start)])[0] if unit else ""
        source_text = clean_pieces([(source.text, source.start)])[0] if source is not title else ""
        header, rows = TableReader().read(body)
        start, end = title.start, source.end
        return Table(
            self._id("tab", start, end), number, title_text, unit_text, header, rows,
            source_text, path, self._page(start), self._page(end - 1), start, end,
        )


def _numbered_title(prefix: str, number: str, line: str) -> str:
    """``表 5 部分…`` -> ``表5 部分…``: the number stays apart from the title."""
    rest = re.sub(rf"^{prefix}\s*{number}", "", line)
    return f"{prefix}{number} {clean_pieces([(rest, 0)])[0]}".rstrip()
