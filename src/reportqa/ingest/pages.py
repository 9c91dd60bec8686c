"""A PDF report's pages as images, and where a quote lies on them.

Pages are rendered with pypdfium2 (BSD/Apache, the renderer pdfplumber ships
with) once per page and scale, and cached as PNG files; a quote's boxes come
from the document's line layout, one box per line piece it covers.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportqa.ingest.reader import CorpusError
from reportqa.ingest.records import Document


@dataclass(frozen=True)
class QuoteBox:
    """A piece of a quote on a PDF page, in points from the page's top left."""

    page: int  # the PDF page, from 1
    x0: float
    top: float
    x1: float
    bottom: float


def quote_boxes(document: Document, start: int, end: int) -> list[QuoteBox]:
    """The boxes of document text ``[start, end)``: per line it touches, from its
    first to its last character in the range."""
    out = []
    for line in document.layout:
        if line.end <= start or line.start >= end or line.end == line.start:
            continue
        first = max(start, line.start) - line.start
        last = min(end, line.end) - line.start  # xs holds one more edge than characters
        out.append(QuoteBox(line.page, line.xs[first], line.top, line.xs[last], line.bottom))
    return out


class PageImages:
    """Rendered pages of PDF reports, cached in ``folder``.

    One is shared by the requests of a service: the bytes of the last
    ``keep`` PDFs read from a function (a replica's copy in the store) are
    kept, so a reader paging through a report fetches its file once, not
    once per page not yet rendered.

    Args:
        folder: where the PNG files are kept (created when needed).
        scale: pixels per point (1.5 is 108 dpi).
        keep: how many PDFs' bytes to keep between renders.
    """

    def __init__(self, folder: Path, scale: float = 1.5, keep: int = 2) -> None:
        self.folder = folder
        self.scale = scale
        self.keep = keep
        self._bytes: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _read(self, pdf: Callable[[], bytes], sha256: str) -> bytes:
        """The PDF's bytes, read once while it is among the last ``keep`` read."""
        with self._lock:
            data = self._bytes.get(sha256)
            if data is not None:
                self._bytes.move_to_end(sha256)
                return data
        data = pdf()
        with self._lock:
            self._bytes[sha256] = data
            while len(self._bytes) > self.keep:
                self._bytes.popitem(last=False)
        return data

    def png(self, pdf: Path | Callable[[], bytes], sha256: str, page: int) -> Path:
        """The PNG file of PDF page ``page`` (from 1), rendered on first use.

        Args:
            pdf: the PDF file, or a function giving its bytes (called only to render).
            sha256: the file's SHA-256, which names the cached pages.
            page: the PDF page, from 1.

        Returns:
            The cached PNG file.
        """
        path = self.folder / f"{sha256[:20]}-{page}-{self.scale:g}.png"
        if path.is_file():
            return path
        import pypdfium2

        name = pdf if isinstance(pdf, Path) else f"PDF {sha256[:12]}"
        try:
            document = pypdfium2.PdfDocument(str(pdf) if isinstance(pdf, Path) else self._read(pdf, sha256))
        except (OSError, pypdfium2.PdfiumError) as exc:
            raise CorpusError(f"{name}: cannot be rendered ({exc})") from None
        try:
            if not 1 <= page <= len(document):
                raise CorpusError(f"{name}: no page {page} (it has {len(document)})")
            image = document[page - 1].render(scale=self.scale).to_pil()
        finally:
            document.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        image.save(tmp, format="PNG", optimize=True)
        os.replace(tmp, path)
        return path
