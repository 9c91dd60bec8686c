"""Response objects built from internal records (the routes stay one call each)."""

from __future__ import annotations

from collections.abc import Sequence

from reportqa.api.schemas import DocumentOut, NoteOut, ParagraphOut, PassageOut, RowOut, SectionOut, TableOut
from reportqa.chunking import Passage
from reportqa.ingest import Document


def passage_view(passages: Sequence[Passage], at: int) -> PassageOut:
    """The passage at position ``at`` with the ids of its neighbours in the same document."""
    p = passages[at]
    prev_id = passages[at - 1].id if at > 0 and passages[at - 1].doc_id == p.doc_id else None
    next_id = passages[at + 1].id if at + 1 < len(passages) and passages[at + 1].doc_id == p.doc_id else None
    return PassageOut(
        id=p.id, doc_id=p.doc_id, kind=p.kind, text=p.text, section_path=list(p.section_path),
        page_start=p.page_start, page_end=p.page_end, start=p.start, end=p.end,
        spans=[[s[0], s[1]] for s in p.spans], previous_id=prev_id, next_id=next_id,
    )


def document_view(doc: Document) -> DocumentOut:
    """The rebuilt report: sections, paragraphs, tables and notes, with offsets."""
    notes = [NoteOut(id=c.id, kind="caption", text=f"{c.text}（{c.source}）" if c.source else c.text,
                     section_path=list(c.section_path), page_start=c.page_start,
                     page_end=c.page_end, start=c.start, end=c.end) for c in doc.captions]
    notes += [NoteOut(id=f.id, kind="footnote", text=f"{f.number} {f.text}",
                      section_path=list(f.section_path), page_start=f.page_start,
                      page_end=f.page_end, start=f.start, end=f.end) for f in doc.footnotes]
    return DocumentOut(
        doc_id=doc.doc_id, title=doc.title or doc.doc_id,
        pdf_pages=max((p.pdf_page for p in doc.pages), default=0) if doc.layout else 0,
        pages=len(doc.pages), first_page=doc.pages[0].number, last_page=doc.pages[-1].number,
        sections=[SectionOut(id=s.id, title=s.title, level=s.level, path=list(s.path),
                             start=s.start, end=s.end, is_box=s.is_box) for s in doc.sections],
        paragraphs=[ParagraphOut(id=p.id, text=p.text, section_path=list(p.section_path),
                                 page_start=p.page_start, page_end=p.page_end, start=p.start,
                                 end=p.end, in_box=p.in_box, offsets=list(p.offsets))
                    for p in doc.paragraphs],
        tables=[TableOut(id=t.id, number=t.number, title=t.title, unit=t.unit, header=list(t.header),
                         rows=[RowOut(cells=list(r.cells), start=r.start, end=r.end) for r in t.rows],
                         source=t.source, section_path=list(t.section_path),
                         page_start=t.page_start, page_end=t.page_end, start=t.start, end=t.end)
                for t in doc.tables],
        notes=notes,
    )
