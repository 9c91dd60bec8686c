"""One line of a text extraction, as the parser scans it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """A non-blank line: its text (page-start space removed), where it starts in
    the file, its page, whether a blank line or a page break comes before it,
    and whether it is the first line of its page."""

    text: str
    start: int
    page: int
    blank_before: bool
    page_first: bool

    @property
    def end(self) -> int:
        return self.start + len(self.text)
