"""Lays the parsed report out as a printed report and prints it to PDF.

We hold the report only as a text extraction; tests of a PDF reader need the
PDF. This module rebuilds one: one A4 page per :class:`Page` of the parsed
:class:`Document`, holding exactly the units that lie on that page, with the
typography a reader has to recover: bold headings larger per level, body text
at 10.5pt, footnotes in 8pt at the page foot under a short rule, tables with
ruled cells, a running header and a page-number footer on every page.
Headless Chromium (through Playwright) prints the HTML; a small script first
lowers the font scale of any page whose content would overflow.

Run ``python -m reportqa.bench.pdfgen CORPUS_FILE OUT.pdf`` to make one by hand.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import html
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from reportqa.ingest import (
    Caption,
    CorpusReader,
    Document,
    Footnote,
    Page,
    Paragraph,
    ReportParser,
    Section,
    Table,
    TableRow,
)
from reportqa.ingest.records import page_at

log = logging.getLogger(__name__)

RUNNING_HEADER = "中国数字贸易发展报告（2022）"
CHROMIUM = "/usr/bin/chromium"
NOTO_DIR = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk


class FontFace(NamedTuple):
    """One face the layout uses: its CSS family and weight, and where it is
    installed (a ``.ttc`` collection file and the face's full name in it)."""

    family: str
    weight: int
    file: str
    full_name: str


FACES = (
    FontFace("Noto Serif CJK SC", 400, "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    FontFace("Noto Serif CJK SC", 700, "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC Bold"),
    FontFace("Noto Sans CJK SC", 700, "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC Bold"),
)

# Sizes are multiplied by each page's --s (1, lowered only where a page would overflow).
CSS = """
@page { size: 210mm 297mm; margin: 0; }
html, body { margin: 0; padding: 0; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; color: #000; }
.page { --s: 1; width: 210mm; height: 297mm; box-sizing: border-box; padding: 12mm 22mm 10mm;
  overflow: hidden; break-after: page; display: flex; flex-direction: column; }
.running { flex: none; font-size: 8pt; color: #808080; text-align: center;
  border-bottom: 0.5pt solid #808080; padding-bottom: 1.5mm; margin-bottom: 7mm; }
.body { flex: 1 1 0; min-height: 0; overflow: hidden; display: flex; flex-direction: column; }
.flow { flex: none; }
.notes { flex: none; margin-top: auto; padding-top: 4mm; font-size: calc(8pt * var(--s)); line-height: 1.5; }
.fn-rule { width: 35%; border-top: 0.5pt solid #000; margin-bottom: 1.5mm; }
.fn { margin: 0 0 0.8mm; text-align: justify; }
.folio { flex: none; text-align: center; font-size: 9pt; word-spacing: 0.5em; margin-top: 6mm; }
h1, h2, h3, h4, h5 { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-weight: 700;
  margin: 0; line-height: 1.5; }
.h0 { font-size: calc(20pt * var(--s)); text-align: center; margin: 4mm 0 6mm; }
.h1 { font-size: calc(17pt * var(--s)); text-align: center; margin: 3mm 0 5mm; }
.h2 { font-size: calc(14pt * var(--s)); margin: 3mm 0 2mm; }
.h3 { font-size: calc(12pt * var(--s)); margin: 2.5mm 0 1.5mm; }
.h4 { font-size: calc(11pt * var(--s)); margin: 2mm 0 1mm; }
p.body-text { font-size: calc(10.5pt * var(--s)); line-height: 1.75; text-align: justify;
  text-indent: 2em; margin: 0 0 1mm; }
p.body-text.cont { text-indent: 0; }
sup { font-size: 0.6em; line-height: 0; vertical-align: super; }
.box { border: 0.75pt solid #000; padding: 2.5mm 4mm; margin: 3mm 0; }
.box p.body-text { font-size: calc(10pt * var(--s)); }
.box-title { font-family: "Noto Sans CJK SC", sans-serif; font-weight: 700; font-size: calc(10.5pt * var(--s));
  text-align: center; margin: 0 0 2mm; line-height: 1.5; }
.figure { margin: 3mm 0; text-align: center; }
.frame { height: 30mm; width: 70%; margin: 0 auto 1.5mm; border: 0.5pt solid #808080; }
.caption { font-size: calc(9pt * var(--s)); margin: 0; text-align: center; }
.source { font-size: calc(7.5pt * var(--s)); margin: 0.5mm 0 0; color: #333; }
.table-title { font-size: calc(10pt * var(--s)); font-weight: 700; text-align: center; margin: 3mm 0 0.5mm; }
.unit { font-size: calc(7.5pt * var(--s)); text-align: right; margin: 0 0 0.5mm; }
table { border-collapse: collapse; width: 100%; font-size: calc(8.5pt * var(--s)); line-height: 1.4; }
th, td { border: 0.5pt solid #000; padding: 0.6mm 1.2mm; text-align: center; }
th { font-weight: 700; }
.table-source { text-align: left; margin-bottom: 3mm; }
"""

# Shrinks --s on each page until its body no longer overflows; returns the scales.
FIT_SCRIPT = """
async () => {
  await document.fonts.ready;
  return Array.from(document.querySelectorAll('.page')).map((page) => {
    const body = page.querySelector('.body');
    let scale = 1;
    while (body.scrollHeight > body.clientHeight && scale > 0.5) {
      scale = Math.round((scale - 0.02) * 100) / 100;
      page.style.setProperty('--s', String(scale));
    }
    return scale;
  });
}
"""


@dataclass(frozen=True)
class _Block:
    """One unit as set on one page: where it starts in the file, its HTML,
    and the title of the 专栏 box it sits in (``None`` outside boxes)."""

    start: int
    html: str
    box: str | None = None


def report_html(document: Document, fonts: str = "") -> str:
    """The whole report as HTML: one fixed-size A4 page element per page.

    Args:
        document: the parsed report.
        fonts: CSS put before the layout's own, e.g. the ``@font-face`` rules
            of :func:`font_css`; empty to use the installed fonts as they are.

    Returns:
        A complete HTML document, ready for Chromium to print.
    """
    pages = "\n".join(_page_html(document, page) for page in document.pages)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(RUNNING_HEADER)}</title><style>{fonts}{CSS}</style></head>"
        f"<body>\n{pages}\n</body></html>\n"
    )


def _page_html(document: Document, page: Page) -> str:
    """One page element: running header, the units on it, its footnotes, its folio."""
    flow = _grouped(_page_blocks(document, page))
    notes = _footnotes_html([f for f in document.footnotes if f.page_start == page.number])
    return (
        f'<section class="page" data-page="{page.number}">'
        f'<div class="running">{html.escape(RUNNING_HEADER)}</div>'
        f'<div class="body"><div class="flow">{flow}</div>{notes}</div>'
        f'<div class="folio">- {page.number} -</div></section>'
    )


def _page_blocks(document: Document, page: Page) -> list[_Block]:
    """Every unit (or piece of one) lying on ``page``, in file-offset order."""
    blocks = [_section_block(s) for s in document.sections if page.start <= s.start < page.end]
    for paragraph in document.paragraphs:
        piece = _paragraph_block(paragraph, page, document.footnotes)
        if piece is not None:
            blocks.append(piece)
    blocks += [_caption_block(c) for c in document.captions if page.start <= c.start < page.end]
    for table in document.tables:
        piece = _table_block(table, page, document.pages)
        if piece is not None:
            blocks.append(piece)
    return sorted(blocks, key=lambda block: block.start)


def _grouped(blocks: Sequence[_Block]) -> str:
    """Join blocks, wrapping each run of blocks of one 专栏 box in a bordered box."""
    parts: list[str] = []
    k = 0
    while k < len(blocks):
        box = blocks[k].box
        if box is None:
            parts.append(blocks[k].html)
            k += 1
            continue
        end = k
        while end < len(blocks) and blocks[end].box == box:
            end += 1
        parts.append('<div class="box">' + "".join(b.html for b in blocks[k:end]) + "</div>")
        k = end
    return "\n".join(parts)


def _section_block(section: Section) -> _Block:
    """A heading: ``h1``-``h5`` by level, or the bold title line of a 专栏 box."""
    title = html.escape(section.title)
    if section.is_box:
        return _Block(section.start, f'<div class="box-title">{title}</div>', section.title)
    level = min(section.level, 4)
    return _Block(section.start, f'<h{level + 1} class="h{level}">{title}</h{level + 1}>')


def _paragraph_block(paragraph: Paragraph, page: Page, footnotes: Iterable[Footnote]) -> _Block | None:
    """The part of ``paragraph`` whose characters lie on ``page``, with its
    footnote markers as superscripts; ``None`` when no part lies there.

    A part that does not begin the paragraph (the rest after a page break)
    is set without first-line indent.
    """
    first = bisect.bisect_left(paragraph.offsets, page.start)
    last = bisect.bisect_left(paragraph.offsets, page.end)
    if first == last:
        return None
    markers = {
        bisect.bisect_left(paragraph.offsets, f.marker_offset) - first: f.number
        for f in footnotes
        if paragraph.start <= f.marker_offset < paragraph.end and page.start <= f.marker_offset < page.end
    }
    text = _marked_text(paragraph.text[first:last], markers)
    css = "body-text" if first == 0 else "body-text cont"
    box = paragraph.section_path[-1] if paragraph.in_box and paragraph.section_path else None
    return _Block(paragraph.offsets[first], f'<p class="{css}">{text}</p>', box)


def _marked_text(text: str, markers: dict[int, int]) -> str:
    """Escaped ``text`` with ``<sup>number</sup>`` before each marked index
    (an index equal to ``len(text)`` puts the marker at the end)."""
    out: list[str] = []
    for k in range(len(text) + 1):
        if k in markers:
            out.append(f"<sup>{markers[k]}</sup>")
        if k < len(text):
            out.append(html.escape(text[k]))
    return "".join(out)


def _caption_block(caption: Caption) -> _Block:
    """A figure: an empty framed placeholder, the centred caption, its source line."""
    source = f'<p class="source">{html.escape(caption.source)}</p>' if caption.source else ""
    return _Block(
        caption.start,
        f'<div class="figure"><div class="frame"></div>'
        f'<p class="caption">{html.escape(caption.text)}</p>{source}</div>',
    )


def _table_block(table: Table, page: Page, pages: tuple[Page, ...]) -> _Block | None:
    """The part of ``table`` set on ``page``; ``None`` when no part lies there.

    Rows go to the page their text is on; a continuation repeats the header
    row, as the printed report does. The title and unit go with the first
    part, the source line with the part holding the last row.
    """
    title_page = page_at(pages, table.start)
    rows = [r for r in table.rows if page_at(pages, r.start) == page.number]
    last_page = page_at(pages, table.rows[-1].start) if table.rows else title_page
    if page.number != title_page and not rows:
        return None
    parts: list[str] = []
    if page.number == title_page:
        parts.append(f'<p class="table-title">{html.escape(table.title)}</p>')
        if table.unit:
            parts.append(f'<p class="unit">{html.escape(table.unit)}</p>')
    if rows:
        parts.append(_table_grid(table.header, rows))
    if page.number == last_page and table.source:
        parts.append(f'<p class="source table-source">{html.escape(table.source)}</p>')
    start = table.start if page.number == title_page else rows[0].start
    return _Block(start, "".join(parts))


def _table_grid(header: Sequence[str], rows: Sequence[TableRow]) -> str:
    """An HTML table with the header as its first row; every cell ruled."""
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.cells) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _footnotes_html(footnotes: Sequence[Footnote]) -> str:
    """A page's footnotes under a short rule, each as ``<number> <text>``; empty without any."""
    if not footnotes:
        return ""
    notes = "".join(
        f'<p class="fn">{f.number} {html.escape(f.text)}</p>' for f in sorted(footnotes, key=lambda f: f.number)
    )
    return f'<div class="notes"><div class="fn-rule"></div>{notes}</div>'


def font_css(text: str, font_dir: Path = NOTO_DIR) -> str:
    """``@font-face`` rules that embed :data:`FACES`, cut down to the characters
    of ``text``, as TrueType fonts in data URLs.

    Why not the installed fonts: Noto CJK maps Kangxi radicals (U+2F00...) and
    their ideographs to one glyph, and Chromium's PDF names each glyph by its
    lowest code point, so 言 would read back as ⾔; a subset holds only the
    code points of the text. And Chromium embeds CFF outlines as Type 3
    fonts, but TrueType outlines as real CID fonts, as a typeset report has.

    Args:
        text: everything the page will show (the HTML itself will do).
        font_dir: the folder holding the Noto CJK ``.ttc`` files.

    Returns:
        CSS text.
    """
    rules = []
    for face in FACES:
        data = base64.b64encode(_subset_truetype(font_dir / face.file, face.full_name, text)).decode()
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
            f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}\n'
        )
    return "".join(rules)


def _subset_truetype(path: Path, full_name: str, text: str) -> bytes:
    """The face ``full_name`` of collection ``path``, cut down to the
    characters of ``text`` and with its outlines made TrueType."""
    from fontTools.subset import Options, Subsetter  # fontTools comes with matplotlib
    from fontTools.ttLib import TTCollection, TTFont

    if not path.is_file():
        raise FileNotFoundError(f"{path}: font missing; install fonts-noto-cjk (apt-get install fonts-noto-cjk)")
    names = [f["name"].getDebugName(4) for f in TTCollection(str(path), lazy=True).fonts]
    if full_name not in names:
        raise FileNotFoundError(f"{path}: no face {full_name!r} in it (it holds {names})")
    font = TTFont(str(path), fontNumber=names.index(full_name))
    options = Options()
    options.layout_features = []  # plain horizontal setting needs no OpenType features
    options.hinting = False
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in text}))
    subsetter.subset(font)
    _cff_to_glyf(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _cff_to_glyf(font: Any) -> None:
    """Replace a font's CFF outlines by quadratic TrueType ones, in place
    (the conversion of fontTools' ``otf2ttf`` snippet)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: CID fonts have none
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def make_report_pdf(corpus_file: Path, out: Path, chromium: str = CHROMIUM) -> Path:
    """Parse a corpus file, lay it out and print it to ``out`` as a PDF.

    Args:
        corpus_file: the report's text extraction (a corpus ``*.txt`` file).
        out: where to write the PDF.
        chromium: the Chromium executable Playwright drives.

    Returns:
        ``out``.
    """
    from playwright.sync_api import sync_playwright  # a dev dependency

    document = ReportParser().parse(CorpusReader().read_file(corpus_file))
    markup = report_html(document, font_css(report_html(document)))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(markup, wait_until="load")
            _log_scales(document.pages, page.evaluate(FIT_SCRIPT))
            page.pdf(path=str(out), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    return out


def _log_scales(pages: Sequence[Page], scales: Any) -> None:
    """Say which pages the fitting script had to shrink, and by how much."""
    for page, scale in zip(pages, scales, strict=True):
        if float(scale) < 1:
            log.info("page %d set at %.0f%% to fit", page.number, 100 * float(scale))


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m reportqa.bench.pdfgen CORPUS_FILE OUT.pdf``."""
    parser = argparse.ArgumentParser(description="Print a corpus report to PDF as a laid-out report.")
    parser.add_argument("corpus_file", type=Path, help="the report's text extraction (*.txt)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium executable (default {CHROMIUM})")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(message)s")
    log.setLevel(logging.INFO)  # our notes on shrunk pages, not fontTools' chatter
    print(make_report_pdf(args.corpus_file, args.out, args.chromium))


if __name__ == "__main__":
    main()
