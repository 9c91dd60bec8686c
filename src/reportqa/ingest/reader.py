"""Reads corpus files: every ``*.txt`` in a folder is one document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import ReportqaError


class CorpusError(ReportqaError):
    """A corpus file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SourceFile:
    """One corpus file's text and identity."""

    doc_id: str
    path: str
    text: str
    sha256: str


class CorpusReader:
    """Loads the ``*.txt`` files of a corpus folder as UTF-8 text."""

    def read_file(self, path: Path) -> SourceFile:
        """Read one file; raise :class:`CorpusError` when it is missing, empty,
        binary or not UTF-8."""
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

    def read(self, folder: Path) -> list[SourceFile]:
        """Read every ``*.txt`` file of ``folder``, sorted by name."""
        if not folder.is_dir():
            raise CorpusError(f"{folder}: corpus folder not found")
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise CorpusError(f"{folder}: no *.txt corpus files in folder")
        return [self.read_file(path) for path in files]
