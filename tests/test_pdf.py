"""The PDF reader (ingest/pdf.py), page images and quote boxes (ingest/pages.py),
on the bundled report printed to PDF by the real Chromium (conftest's ``report_pdf``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from PIL import Image

from conftest import CORPUS_FILE, ROOT
from reportqa.evaluation.results import EvalResult
from reportqa.evaluation.runner import Evaluator, load_questions
from reportqa.ingest import CorpusError, CorpusReader, Document, ReportParser
from reportqa.ingest.pages import PageImages, QuoteBox, quote_boxes
from reportqa.ingest.pdf import PdfReader
from reportqa.ingest.records import LineBox, Page
from reportqa.segment import Tokenizer
from reportqa.service import Components, add_reports, load_components
from reportqa.settings import Settings


@pytest.fixture(scope="module")
def pdf_doc(report_pdf: Path) -> Document:
    return PdfReader().read(report_pdf)[1]


@pytest.fixture(scope="module")
def text_doc() -> Document:
    return ReportParser().parse(CorpusReader().read_file(CORPUS_FILE))


def test_pages_keep_the_printed_folio_and_the_pdf_page(pdf_doc: Document) -> None:
    assert len(pdf_doc.pages) == 53
    assert [(p.number, p.pdf_page) for p in pdf_doc.pages[:3]] == [(2, 1), (3, 2), (4, 3)]
    assert (pdf_doc.pages[-1].number, pdf_doc.pages[-1].pdf_page) == (54, 53)
    assert {(p.width, p.height) for p in pdf_doc.pages} == {(594.96, 841.92)}
    assert pdf_doc.title == "中国数字贸易发展报告（2022）"
    # the running header and the page footers are not text of the report
    assert "中国数字贸易发展报告（2022）" not in pdf_doc.text and "- 9 -" not in pdf_doc.text


def test_the_pdf_gives_the_units_of_the_text_extraction(pdf_doc: Document, text_doc: Document) -> None:
    def sections(d: Document) -> list[tuple[object, ...]]:
        return [(s.title, s.level, s.path, s.is_box) for s in d.sections]

    def paragraphs(d: Document) -> list[tuple[object, ...]]:
        return [(p.text, p.section_path, p.in_box, p.page_start, p.page_end) for p in d.paragraphs]

    def tables(d: Document) -> list[tuple[object, ...]]:
        return [(t.title, t.unit, t.header, tuple(r.cells for r in t.rows), t.source, t.section_path,
                 t.page_start, t.page_end) for t in d.tables]

    assert sections(pdf_doc) == sections(text_doc) and len(pdf_doc.sections) == 69
    assert paragraphs(pdf_doc) == paragraphs(text_doc) and len(pdf_doc.paragraphs) == 122
    # 表1 and 表5 run over a page break in the PDF; each is read back as one table
    assert tables(pdf_doc) == tables(text_doc) and [len(t.rows) for t in pdf_doc.tables] == [10, 14, 5, 6, 3]
    assert [(c.text, c.source, c.page_start) for c in pdf_doc.captions] == \
        [(c.text, c.source, c.page_start) for c in text_doc.captions]
    assert [(f.number, f.text, f.page_start, f.section_path) for f in pdf_doc.footnotes] == \
        [(f.number, f.text, f.page_start, f.section_path) for f in text_doc.footnotes]
    # a footnote's marker points at the small digit in the prose
    first = pdf_doc.footnotes[0]
    assert pdf_doc.text[first.marker_offset - 4 : first.marker_offset + 3] == "数字贸易1成为"


def test_every_paragraph_lies_on_its_pdf_page(pdf_doc: Document, report_pdf: Path) -> None:
    with pdfplumber.open(report_pdf) as pdf:
        texts = ["".join((p.extract_text() or "").split()) for p in pdf.pages]
    folio = {p.pdf_page: p.number for p in pdf_doc.pages}
    for paragraph in pdf_doc.paragraphs:
        (first, *_) = quote_boxes(pdf_doc, paragraph.start, paragraph.start + 1)
        assert folio[first.page] == paragraph.page_start
        assert paragraph.text[:6] in texts[first.page - 1]


def test_quote_boxes_cover_the_characters_in_range() -> None:
    doc = Document("d", "d.pdf", "", "abc\ndefg\n", (Page(1, 0, 9, 1, 100.0, 200.0),), (), (), (), (), (),
                   layout=(LineBox(0, 3, 1, 10.0, 20.0, (0.0, 5.0, 10.0, 15.0)),
                           LineBox(4, 8, 1, 30.0, 40.0, (0.0, 4.0, 8.0, 12.0, 16.0))))
    assert quote_boxes(doc, 1, 6) == [QuoteBox(1, 5.0, 10.0, 15.0, 20.0), QuoteBox(1, 0.0, 30.0, 8.0, 40.0)]
    assert quote_boxes(doc, 4, 5) == [QuoteBox(1, 0.0, 30.0, 4.0, 40.0)]
    assert quote_boxes(doc, 3, 4) == []  # the newline between lines is on no page


def test_a_page_image_is_rendered_once_and_cached(report_pdf: Path, tmp_path: Path) -> None:
    images = PageImages(tmp_path / "cache")
    path = images.png(report_pdf, "ab" * 32, 5)
    with Image.open(path) as image:
        assert image.size == (893, 1263)  # 594.96 x 841.92 points at 1.5 pixels a point, rounded up
    stamp = path.stat().st_mtime_ns
    assert images.png(report_pdf, "ab" * 32, 5) == path and path.stat().st_mtime_ns == stamp
    with pytest.raises(CorpusError, match="no page 54 \\(it has 53\\)"):
        images.png(report_pdf, "ab" * 32, 54)


def test_a_pdf_read_from_the_store_is_fetched_once_for_its_pages(report_pdf: Path, tmp_path: Path) -> None:
    fetched: list[str] = []

    def fetch(name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            fetched.append(name)
            return report_pdf.read_bytes()
        return read

    images = PageImages(tmp_path / "cache", scale=0.2, keep=1)
    images.png(fetch("a"), "aa" * 32, 1)
    images.png(fetch("a"), "aa" * 32, 2)  # a page not rendered yet: the bytes are kept
    images.png(fetch("a"), "aa" * 32, 1)  # a cached page: nothing read
    assert fetched == ["a"]
    images.png(fetch("b"), "bb" * 32, 1)  # another report takes the one place kept
    images.png(fetch("a"), "aa" * 32, 3)
    assert fetched == ["a", "b", "a"]


def _encrypted_pdf(path: Path) -> Path:
    """A one-page PDF behind the standard security handler, whose password is not empty."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, b"ab" * 16, b"ab" * 16, xref)
    path.write_bytes(bytes(out))
    return path


def _blank_pdf(path: Path) -> Path:
    blank = pypdfium2.PdfDocument.new()
    blank.new_page(595, 842)
    blank.save(str(path))
    return path


@pytest.mark.parametrize(("make", "message"), [
    (_encrypted_pdf, "the PDF is encrypted: add a copy without a password"),
    (_blank_pdf, "the PDF has no text layer (a scan?): add a PDF with text"),
    (lambda p: p.write_bytes(b"<html>a web page</html>") and p, "not a PDF (no %PDF- header)"),
])
def test_a_pdf_that_cannot_be_read_is_one_clear_error(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)  # type: ignore[operator]
    with pytest.raises(CorpusError) as info:
        PdfReader().read(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_truncated_pdf_is_not_readable(report_pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(report_pdf.read_bytes()[:3000])
    with pytest.raises(CorpusError, match=r"cut.pdf: not a readable PDF \("):
        PdfReader().read(path)


# -- the real model ------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_pdf_answers_as_the_text_and_cites_the_pages_holding_its_quotes(
        real_components: Components, report_pdf: Path, tmp_path: Path) -> None:
    """``eval/questions.jsonl`` over an index of the PDF alone: accuracy and table
    accuracy as on the text corpus, and every cited quote on the cited PDF page."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    add_reports(settings, real_components.embedder, Tokenizer(), [report_pdf])
    pdf = load_components(settings, embedder=real_components.embedder, models=real_components.answerer.models)
    questions = load_questions(ROOT / "eval" / "questions.jsonl")

    def run(c: Components) -> EvalResult:
        return Evaluator(c.answerer, {d.doc_id: d.text for d in c.documents.values()}).run(questions, "hybrid")

    on_pdf, on_text = run(pdf), run(real_components)
    assert abs(on_pdf.accuracy - on_text.accuracy) <= 0.03, (on_pdf.accuracy, on_text.accuracy)
    assert abs(on_pdf.by_type["table"].accuracy - on_text.by_type["table"].accuracy) <= 0.05
    doc = pdf.documents["report-2022-pdf"]
    folio = {p.pdf_page: p.number for p in doc.pages}
    checked = 0
    with pdfplumber.open(report_pdf) as opened:
        for q in questions:
            for c in pdf.answerer.answer(q.question).citations:
                boxes = quote_boxes(doc, c.quote_start, c.quote_end)
                assert boxes, (q.id, c.quote)
                first = boxes[0]
                assert c.passage.page_start <= folio[first.page] <= c.passage.page_end, (q.id, c.quote)
                # the PDF prints the quote's first characters inside its first box (a table
                # cell may wrap them over lines, so each character is looked for)
                crop = opened.pages[first.page - 1].crop((first.x0 - 1, first.top - 1, first.x1 + 1, first.bottom + 1))
                printed = "".join((crop.extract_text() or "").split())
                head = doc.text[c.quote_start : c.quote_end].split()[0][:6]
                assert all(ch in printed for ch in head), (q.id, head, first.page, printed[:40])
                checked += 1
    assert checked >= 100
