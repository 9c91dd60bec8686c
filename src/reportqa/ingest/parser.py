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

import re
from dataclasses import dataclass, field

from reportqa.ingest.assemble import FIGURE, TABLE, Collected, DocumentBuilder, HeadingMark, OpenParagraph
from reportqa.ingest.lines import Line
from reportqa.ingest.normalize import clean_heading, display_width
from reportqa.ingest.reader import CorpusError, SourceFile
from reportqa.ingest.records import (
    Document,
    Page,
)

FOOTER = re.compile(r"^-\s*(\d+)\s*-$")
PART = re.compile(r"^\S{1,8}篇\s*——")
LEVEL2 = re.compile(r"^[一二三四五六七八九十]+、")
LEVEL3 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
LEVEL4 = re.compile(r"^\d{1,2}\s*[.．](?!\d)")
BOX = re.compile(r"^专栏\s*\d+\s*[：:]")
SOURCE = re.compile(r"^(数据来源|资料来源)\s*[：:]")
UNIT = re.compile(r"^[（(]\s*单位\s*[：:].*[）)]$")
SENTENCE_END = ("。", "！", "？", "。”", "！”", "？”")  # a paragraph may close after these
HEADING_STOPS = re.compile(r"[。！？；]")
TITLE_STOPS = re.compile(r"[，。、：；！？“”《》,.:;]")
UNIT_CHARS = "年月日个家亿万元项件倍次名位条号期届人岁种款部套%"


@dataclass
class _State:
    """What the walk carries from one line to the next."""

    out: Collected
    stack: list[tuple[int, str]] = field(default_factory=list)  # (level, title) of the open sections
    para: OpenParagraph | None = None
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
        builder = DocumentBuilder(source, text, pages)
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
    def _collect(self, lines: list[Line], text: str) -> Collected:
        """Walk the lines once; each line goes to the first step that takes it
        (each ``_take_<kind>`` returns the index of the next line, or ``None``)."""
        state = _State(Collected())
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
        state.out.headings.append(HeadingMark(title, level, state.path(), lines[i].start, False))
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
        state.out.headings.append(HeadingMark(title, 99, state.path(), lines[i].start, True))
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
        state.para = OpenParagraph([lines[i]], state.path(), state.in_box)
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

    def _take_table(self, lines: list[Line], i: int, out: Collected, path: tuple[str, ...]) -> int:
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
            out.tables.append((title, unit, body, lines[i], path, None))
            return i + 1
        out.tables.append((title, unit, body, body[-1] if body else title, path, None))
        return i
