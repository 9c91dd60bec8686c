"""The passage: the unit that is indexed, retrieved and cited."""

from __future__ import annotations

from dataclasses import dataclass

PASSAGE_KINDS = ("prose", "box", "table", "table_row", "footnote", "caption")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage with its offsets in the corpus file."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A located piece of a report.

    ``start``/``end`` are character offsets into the corpus file of
    ``doc_id``; ``spans`` are the exact pieces the text was built from (a
    sentence interrupted by a footnote or a page footer has two). Pages are
    the report's printed page numbers.
    """

    id: str
    doc_id: str
    kind: str
    text: str
    section_path: tuple[str, ...]
    page_start: int
    page_end: int
    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    sentences: tuple[Sentence, ...]

    @property
    def heading(self) -> str:
        """The innermost section title, or an empty string."""
        return self.section_path[-1] if self.section_path else ""
