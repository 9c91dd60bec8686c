"""Ingestion: corpus files in, structured :class:`Document` records out."""

from reportqa.ingest.parser import ReportParser
from reportqa.ingest.reader import CorpusError, CorpusReader, SourceFile
from reportqa.ingest.records import (
    Caption,
    Document,
    Footnote,
    Page,
    Paragraph,
    Section,
    Table,
    TableRow,
)

__all__ = [
    "Caption",
    "CorpusError",
    "CorpusReader",
    "Document",
    "Footnote",
    "Page",
    "Paragraph",
    "ReportParser",
    "Section",
    "SourceFile",
    "Table",
    "TableRow",
]
