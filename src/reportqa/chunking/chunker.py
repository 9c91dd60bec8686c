"""Sentence-aware, section-aware chunking of a rebuilt :class:`Document`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from reportqa.chunking.passage import Passage, Sentence
from reportqa.chunking.sentences import split_sentences
from reportqa.ingest.normalize import spans_of
from reportqa.ingest.records import Document, Paragraph, Table, TableRow


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunking parameters; they are part of the index manifest.

    Args:
        target_chars: a prose passage grows sentence by sentence up to this size.
        overlap_sentences: sentences repeated at the start of the next passage.
    """

    target_chars: int = 320
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.target_chars < 20:
            raise ValueError("chunk target_chars must be at least 20")
        if self.overlap_sentences < 0:
            raise ValueError("chunk overlap_sentences must be >= 0")


RATE = re.compile(r"增速|同比|增长|占比|比重|增幅")


def passage_id(doc_id: str, kind: str, start: int, text: str) -> str:
    """A stable id derived from the document, the kind, the place and the text."""
    digest = hashlib.sha1(f"{doc_id}\x00{kind}\x00{start}\x00{text}".encode()).hexdigest()
    return f"p-{digest[:12]}"


def render_row(table: Table, row: TableRow) -> str:
    """A self-contained sentence for one table row: table, row and columns.

    A column whose name repeats (``增速`` after ``进出口额``) is attached to the
    column before it: ``…江苏：进出口额307.53，增速12.11；出口额179.61，…``.
    Text cells are written ``column：text``.
    """
    first_value = _first_value_column(row)
    numeric = first_value < len(row.cells)
    if not numeric:
        first_value = 1
    label = row.cells[first_value - 1]
    names = list(table.header) + [""] * max(0, len(row.cells) - len(table.header))
    percent = "%" in table.unit
    parts: list[str] = []
    for k in range(first_value, len(row.cells)):
        name = names[k]
        value = row.cells[k]
        if numeric and percent and RATE.search(name) and not value.endswith("%"):
            value += "%"  # the table's unit line gives rates in per cent
        if numeric and parts and names.count(name) > 1:
            parts[-1] += f"，{name}{value}"
        else:
            parts.append(f"{name}{value}" if numeric else f"{name}：{value}")
    return f"{table.title}{table.unit}{label}：{'；'.join(parts)}"


def render_table(table: Table) -> str:
    """The whole table as text: caption, header and rows, one per line."""
    lines = [f"{table.title}{table.unit}", " | ".join(table.header)]
    lines += [" | ".join(row.cells) for row in table.rows]
    if table.source:
        lines.append(table.source)
    return "\n".join(lines)


def _is_number(cell: str) -> bool:
    try:
        float(cell.rstrip("%"))
    except ValueError:
        return False
    return True


def _first_value_column(row: TableRow) -> int:
    """Index of the first of the row's trailing numeric cells (at least 1)."""
    k = len(row.cells)
    while k > 1 and _is_number(row.cells[k - 1]):
        k -= 1
    return k


class Chunker:
    """Turns a document into passages.

    Prose is split into sentences (never inside a number, quotation or
    bracket) and packed up to ``target_chars`` without crossing a section
    boundary, with ``overlap_sentences`` repeated. Each table gives one
    passage and one per row; footnotes and figure captions are passages of
    their own kind.
    """

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    def chunk(self, document: Document) -> list[Passage]:
        """All passages of ``document``, in reading order."""
        passages = self._prose(document)
        for table in document.tables:
            passages.append(self._table_passage(document, table))
            for row in table.rows:
                passages.append(self._row_passage(document, table, row))
        for caption in document.captions:
            text = f"{caption.text}（{caption.source}）" if caption.source else caption.text
            passages.append(self._single(document, "caption", text, caption.section_path,
                                         caption.start, caption.end))
        for note in document.footnotes:
            passages.append(self._single(document, "footnote", note.text, note.section_path,
                                         note.start, note.end))
        passages.sort(key=lambda p: (p.start, p.kind != "table", p.end))
        return passages

    def _single(
        self, document: Document, kind: str, text: str, path: tuple[str, ...], start: int, end: int
    ) -> Passage:
        return Passage(
            passage_id(document.doc_id, kind, start, text), document.doc_id, kind, text, path,
            document.page_of(start), document.page_of(end - 1), start, end, ((start, end),),
            (Sentence(text, start, end),),
        )

    def _table_passage(self, document: Document, table: Table) -> Passage:
        return self._single(document, "table", render_table(table), table.section_path,
                            table.start, table.end)

    def _row_passage(self, document: Document, table: Table, row: TableRow) -> Passage:
        return self._single(document, "table_row", render_row(table, row), table.section_path,
                            row.start, row.end)

    def _prose(self, document: Document) -> list[Passage]:
        groups: list[list[Paragraph]] = []
        for paragraph in document.paragraphs:
            if groups and groups[-1][-1].section_path == paragraph.section_path \
                    and groups[-1][-1].in_box == paragraph.in_box:
                groups[-1].append(paragraph)
            else:
                groups.append([paragraph])
        passages: list[Passage] = []
        for group in groups:
            sentences: list[tuple[str, tuple[int, ...], int]] = []
            for number, paragraph in enumerate(group):
                for s, e in split_sentences(paragraph.text):
                    sentences.append((paragraph.text[s:e], paragraph.offsets[s:e], number))
            kind = "box" if group[0].in_box else "prose"
            for window in self._windows([len(t) for t, _, _ in sentences]):
                chosen = [sentences[k] for k in window]
                passages.append(self._prose_passage(document, kind, group[0].section_path, chosen))
        return passages

    def _windows(self, lengths: list[int]) -> list[list[int]]:
        windows: list[list[int]] = []
        k = 0
        while k < len(lengths):
            window = [k]
            size = lengths[k]
            while window[-1] + 1 < len(lengths) and size + lengths[window[-1] + 1] <= self.config.target_chars:
                window.append(window[-1] + 1)
                size += lengths[window[-1]]
            windows.append(window)
            if window[-1] + 1 >= len(lengths):
                break
            overlap = min(self.config.overlap_sentences, len(window) - 1)
            k = window[-1] + 1 - overlap
        return windows

    def _prose_passage(
        self,
        document: Document,
        kind: str,
        path: tuple[str, ...],
        chosen: list[tuple[str, tuple[int, ...], int]],
    ) -> Passage:
        text = ""
        for k, (sentence, _, paragraph) in enumerate(chosen):
            if k and paragraph != chosen[k - 1][2]:
                text += "\n"
            text += sentence
        offsets = tuple(o for _, offs, _ in chosen for o in offs)
        start, end = offsets[0], offsets[-1] + 1
        sentences = tuple(Sentence(t, offs[0], offs[-1] + 1) for t, offs, _ in chosen)
        return Passage(
            passage_id(document.doc_id, kind, start, text), document.doc_id, kind, text, path,
            document.page_of(start), document.page_of(end - 1), start, end,
            spans_of(offsets, document.text), sentences,
        )
