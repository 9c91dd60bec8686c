"""The index manifest: a frozen record, validated when it is read.

``index/manifest.json`` names the index files, their checksums and what the
index was built from. The builder writes a :class:`Manifest`; the loader reads
one back through :func:`read_manifest`, so the rest of the code reads typed
fields, never a dict. A field of the wrong type or an absent one gives one
line naming the file and the field (:class:`IndexLoadError`), never a
traceback deep in the loader.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from reportqa.errors import ReportqaError

Count = Annotated[StrictInt, Field(ge=0)]
Positive = Annotated[StrictInt, Field(ge=1)]

# 2: passage vectors are the mean of sentence vectors; 3: mined aliases;
# 4: one segment per document, so a report is added or removed without touching the others
SCHEMA_VERSION = 4
MANIFEST = "manifest.json"
SEGMENTS = "segments"
FILES = ("passages.jsonl", "sentences.npy", "tokens.json", "aliases.json", "document.json")


class IndexLoadError(ReportqaError):
    """The index cannot be used; the message names the file and the fix."""


class IndexStaleError(IndexLoadError):
    """The index was built from another corpus, model or chunking."""


@dataclass(frozen=True)
class EmbeddingInfo:
    """The model the vectors come from."""

    model: StrictStr
    dim: Positive


@dataclass(frozen=True)
class DocumentInfo:
    """A report in the index: its source file and its segment (a folder under
    ``segments/`` holding :data:`FILES`, with their checksums)."""

    path: StrictStr
    sha256: StrictStr
    title: StrictStr
    pages: Count
    passages: Count
    sentences: Count
    added_at: StrictStr
    segment: StrictStr
    checksums: dict[str, StrictStr]


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` holds; the index loads only when every field is valid."""

    schema_version: StrictInt
    build_id: StrictStr
    created_at: StrictStr
    embedding: EmbeddingInfo
    chunking: dict[str, StrictInt]
    documents: dict[str, DocumentInfo]
    passages: Count
    sentences: Count
    dense_kind: StrictStr
    hnsw_threshold: Positive
    build_seconds: StrictFloat | StrictInt  # of the last change

    def to_json(self) -> str:
        """The text of ``manifest.json``."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=2)


_ADAPTER = TypeAdapter(Manifest)


def _problem(exc: ValidationError) -> str:
    """The first problem of a validation error as ``field <dotted.path>: <message> (got <value>)``."""
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "(top level)"
    got = repr(error.get("input"))
    got = got if len(got) <= 40 else got[:37] + "..."
    return f"field {field}: {error['msg']} (got {got})"


def read_manifest(directory: Path) -> Manifest:
    """The manifest of the index in ``directory``.

    Raises :class:`IndexStaleError` for a manifest of another schema version
    (an older build is stale, not broken) and :class:`IndexLoadError` for a
    missing, unreadable or invalid one."""
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"index not found: {path} is missing: run `reportqa index`")
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or "schema_version" not in data:
            raise ValueError("not an index manifest")
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"index file {path} is corrupted ({exc}): run `reportqa index`") from None
    except OSError as exc:
        raise IndexLoadError(f"index file {path} cannot be read ({exc.strerror}): run `reportqa index`") from None
    if data.get("schema_version") != SCHEMA_VERSION:
        raise IndexStaleError("index is stale: run `reportqa index` (index format changed)")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise IndexLoadError(f"index file {path}: {_problem(exc)}: run `reportqa index`") from None
