"""The report laid out and printed to PDF (bench/pdfgen.py), read back with pdfplumber.

The PDF is made once per module in a temporary folder with the real
Chromium; the facts checked here are those a PDF reader will rely on: one PDF
page per report page, running header and folio on each, the text of each
page, ruled tables, small footnotes and large bold headings.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from reportqa.bench.pdfgen import RUNNING_HEADER, make_report_pdf, report_html
from reportqa.ingest import CorpusReader, Document, ReportParser
from reportqa.ingest.records import page_at

CORPUS_FILE = Path(__file__).resolve().parents[1] / "corpus" / "china-digital-trade-report-2022.txt"
# Footnote markers are set at 0.6em of 10.5pt (6.3pt); the smallest other text
# (source lines) is 7.5pt.
SUPERSCRIPT_MAX_PT = 7.0


@pytest.fixture(scope="module")
def report() -> Document:
    """The parsed report the PDF is made from."""
    return ReportParser().parse(CorpusReader().read_file(CORPUS_FILE))


@pytest.fixture(scope="module")
def pdf(report_pdf: Path) -> Iterator[Any]:
    """The generated PDF (conftest's ``report_pdf``), open in pdfplumber."""
    with pdfplumber.open(report_pdf) as opened:
        yield opened


def pdf_page(pdf: Any, report: Document, number: int) -> Any:
    """The PDF page holding printed page ``number``."""
    return pdf.pages[[p.number for p in report.pages].index(number)]


def chars_of(page: Any, text: str) -> list[dict[str, Any]]:
    """The chars of the one place ``text`` is printed on ``page``."""
    hits = page.search(text, regex=False)
    assert len(hits) == 1, f"{text!r} found {len(hits)} times"
    return list(hits[0]["chars"])


def squeeze(text: str) -> str:
    """``text`` without any whitespace."""
    return "".join(text.split())


def test_html_has_one_page_element_per_page_with_markers_and_split_paragraphs(report: Document) -> None:
    markup = report_html(report)
    assert markup.count('<section class="page"') == len(report.pages) == 53
    # footnote 1's marker follows 数字贸易 in the first paragraph of page 4
    assert "数字贸易<sup>1</sup>成为数字经济时代" in markup
    # each paragraph running over a page break has its rest set unindented on the next page
    assert markup.count('class="body-text cont"') == sum(p.page_start != p.page_end for p in report.paragraphs)


@pytest.mark.slow
def test_one_pdf_page_per_report_page(pdf: Any, report: Document) -> None:
    assert len(pdf.pages) == len(report.pages)
    assert pdf.metadata["Title"] == RUNNING_HEADER


@pytest.mark.slow
def test_every_page_has_the_running_header_on_top_and_its_folio_at_the_foot(
    pdf: Any, report: Document
) -> None:
    for sheet, page in zip(pdf.pages, report.pages, strict=True):
        lines = sheet.extract_text().splitlines()
        assert lines[0] == RUNNING_HEADER, page.number
        assert lines[-1] == f"- {page.number} -", page.number


@pytest.mark.slow
def test_each_page_holds_the_first_paragraph_that_starts_on_it(pdf: Any, report: Document) -> None:
    checked = []
    for sheet, page in zip(pdf.pages, report.pages, strict=True):
        first = next((p for p in report.paragraphs if p.page_start == page.number), None)
        if first is None:
            continue
        # drop the footnote markers: the prose carries none (数字贸易¹成为 on page 4)
        text = sheet.filter(lambda o: o.get("size", SUPERSCRIPT_MAX_PT) >= SUPERSCRIPT_MAX_PT).extract_text()
        assert squeeze(first.text)[:12] in squeeze(text), page.number
        checked.append(page.number)
    # pages 5 and 29 hold only the rest of paragraphs begun before them (and figure 1, table 1)
    assert [p.number for p in report.pages if p.number not in checked] == [5, 29]


@pytest.mark.slow
def test_find_tables_finds_every_ruled_table_part(pdf: Any, report: Document) -> None:
    found = [
        (page.number, table)
        for sheet, page in zip(pdf.pages, report.pages, strict=True)
        for table in sheet.find_tables()
    ]
    # 表1 (pages 5-6) and 表5 (pages 40-41) break across a page as in the printed
    # report: each part is a ruled table of its own, the header row repeated.
    parts = sum(len({page_at(report.pages, row.start) for row in t.rows}) for t in report.tables)
    assert len(found) == parts == len(report.tables) + 2
    assert [number for number, _ in found] == [5, 6, 35, 36, 37, 40, 41]
    table_1 = report.tables[0]
    assert [t.extract() for number, t in found if number == 6] == [
        [list(table_1.header), list(table_1.rows[-1].cells)]]


@pytest.mark.slow
def test_table_2_cells_read_back_exactly(pdf: Any, report: Document) -> None:
    table = next(t for t in report.tables if t.title.startswith("表2"))
    (found,) = pdf_page(pdf, report, table.page_start).find_tables()
    rows = found.extract()
    assert rows[0] == list(table.header)
    assert rows[1:] == [list(row.cells) for row in table.rows]
    assert len(rows) == 15


@pytest.mark.slow
def test_footnotes_are_set_smaller_than_the_body(pdf: Any, report: Document) -> None:
    footnote = report.footnotes[0]
    page = pdf_page(pdf, report, footnote.page_start)
    sizes = {round(c["size"], 2) for c in chars_of(page, footnote.text[:20])}
    median = statistics.median(c["size"] for c in page.chars)
    assert sizes == {7.99}
    assert round(median, 2) == 10.5
    assert max(sizes) < 0.85 * median


@pytest.mark.slow
def test_headings_are_larger_and_bolder_than_the_body(pdf: Any, report: Document) -> None:
    heading = next(s for s in report.sections if s.level == 2)
    body = next(p for p in report.paragraphs if p.start > heading.start)
    page = pdf_page(pdf, report, page_at(report.pages, heading.start))
    heading_chars = chars_of(page, heading.title)
    body_chars = chars_of(page, body.text[:15])
    assert {(c["fontname"].split("+")[-1], round(c["size"], 2)) for c in heading_chars} == {
        ("NotoSansCJKsc-Bold", 13.99)}
    assert {(c["fontname"].split("+")[-1], round(c["size"], 2)) for c in body_chars} == {
        ("NotoSerifCJKsc-Regular", 10.5)}
    body_size = max(c["size"] for c in body_chars)
    assert all("Bold" in c["fontname"] and c["size"] > body_size for c in heading_chars)


@pytest.mark.slow
def test_a_page_too_full_for_its_sheet_is_set_smaller_until_it_fits(tmp_path: Path) -> None:
    # one printed page of 30 three-line paragraphs: about 60 lines at 10.5pt, where 38 fit
    paragraph = "数字贸易蓬勃兴起，已成为国际贸易发展的新趋势和经\n济的新增长点，带动全球产业链供应链价值链加速整合优\n化，大幅降低贸易成本。\n"
    corpus = tmp_path / "full-page.txt"
    corpus.write_text(" " + paragraph * 30 + "- 7 -\n", encoding="utf-8")
    with pdfplumber.open(make_report_pdf(corpus, tmp_path / "full-page.pdf")) as full:
        (page,) = full.pages
        lines = page.extract_text().splitlines()
        header_bottom = max(c["bottom"] for c in chars_of(page, RUNNING_HEADER))
        folio_top = min(c["top"] for c in chars_of(page, "- 7 -"))
        body = [c for c in page.chars if header_bottom < c["top"] and c["bottom"] < folio_top]
        assert lines[0] == RUNNING_HEADER and lines[-1] == "- 7 -"
        assert squeeze(page.extract_text()).count("化，大幅降低贸易成本。") == 30
        assert len(body) == 30 * 60
        assert {round(c["size"], 2) for c in body} == {round(10.5 * 0.72, 2)}  # the first scale that fits
        assert max(c["bottom"] for c in body) < folio_top
