"""The index manifest, read through a typed model.

``index/manifest.json`` names the index files, their checksums and what the
index was built from. A field of the wrong type or an absent one gives one
line naming the file and the field (:class:`~reportqa.index.store.IndexLoadError`),
never a traceback deep in the loader.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError


class EmbeddingInfo(BaseModel):
    """The model the vectors come from."""

    model_config = ConfigDict(frozen=True)

    model: StrictStr
    dim: StrictInt = Field(ge=1)


class DocumentInfo(BaseModel):
    """A corpus file the index was built from."""

    model_config = ConfigDict(frozen=True)

    path: StrictStr
    sha256: StrictStr


class Manifest(BaseModel):
    """What ``manifest.json`` must hold for the index to load."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: StrictInt
    build_id: StrictStr
    created_at: StrictStr
    embedding: EmbeddingInfo
    chunking: dict[str, StrictInt]
    documents: dict[str, DocumentInfo]
    passages: StrictInt = Field(ge=0)
    sentences: StrictInt = Field(ge=0)
    dense_kind: StrictStr
    hnsw_threshold: StrictInt = Field(ge=1)
    build_seconds: StrictFloat | StrictInt
    files: dict[str, StrictStr]
    checksums: dict[str, StrictStr]
    aliases: dict[str, Any] = Field(default_factory=dict)


def manifest_problem(data: object) -> str | None:
    """``None`` when ``data`` is a valid manifest, else the first problem as
    ``field <dotted.path>: <message> (got <value>)``."""
    try:
        Manifest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "(top level)"
        got = repr(error.get("input"))
        got = got if len(got) <= 40 else got[:37] + "..."
        return f"field {field}: {error['msg']} (got {got})"
    return None
