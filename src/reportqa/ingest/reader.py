"""Reads corpus files: every ``*.txt`` (a text extraction) and ``*.pdf`` in a folder is one report."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import ReportqaError


class CorpusError(ReportqaError):
    """A corpus file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SourceFile:
    """One corpus file's identity and, for a text extraction, its text (a PDF's
    text is what :class:`~reportqa.ingest.pdf.PdfReader` reads from it)."""

    doc_id: str
    path: str
    text: str
    sha256: str
    kind: str = "text"  # or "pdf"


SUFFIXES = {".txt": "text", ".pdf": "pdf"}


class CorpusReader:
    """Loads the report files of a corpus folder: text extractions as UTF-8
    text, PDFs by their identity only (reading a PDF's layout is a parse)."""

    def read_file(self, path: Path) -> SourceFile:
        """Read one file; raise :class:`CorpusError` when it is missing, empty,
        binary or not UTF-8 (a text file), or has no PDF header (a PDF)."""
        if path.suffix.lower() == ".pdf":
            return self._read_pdf(path)
        if not path.is_file():
            raise CorpusError(f"{path}: corpus file not found")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{path}: corpus file cannot be read ({exc.strerror or exc})") from None
        if not data.strip():
            raise CorpusError(f"{path}: corpus file is empty")
        if b"\x00" in data:
            raise CorpusError(f"{path}: corpus file is binary, expected UTF-8 text")
        try:
            text = data.decode("utf-8-sig")  # a byte-order mark is not text
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: corpus file is not valid UTF-8 (byte {exc.start})") from None
        return SourceFile(path.stem, str(path), text, hashlib.sha256(data).hexdigest())

    @staticmethod
    def _read_pdf(path: Path) -> SourceFile:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{path}: corpus file cannot be read ({exc.strerror or exc})") from None
        if not data:
            raise CorpusError(f"{path}: corpus file is empty")
        if data.lstrip()[:5] != b"%PDF-":
            raise CorpusError(f"{path}: not a PDF (no %PDF- header)")
        return SourceFile(path.stem, str(path), "", hashlib.sha256(data).hexdigest(), "pdf")

    def read(self, folder: Path) -> list[SourceFile]:
        """Read every report file (``*.txt``, ``*.pdf``) of ``folder``, sorted by name."""
        if not folder.is_dir():
            raise CorpusError(f"{folder}: corpus folder not found")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
        if not files:
            raise CorpusError(f"{folder}: no *.txt or *.pdf corpus files in folder")
        stems = [p.stem for p in files]
        twice = sorted({s for s in stems if stems.count(s) > 1})
        if twice:
            raise CorpusError(f"{folder}: two files for report {twice[0]!r}: keep one")
        return [self.read_file(path) for path in files]
