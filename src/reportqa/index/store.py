"""The persisted index: build it atomically, load it only when it is current.

``index/`` holds ``manifest.json`` and the files it names: the FAISS file,
the passage store, the BM25 statistics and the sentence vectors. A build
writes its files into a temporary folder, moves them into place under new
names, and replaces the manifest last (``os.replace`` is atomic), so a build
killed at any point leaves the previous index loadable.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.chunking import ChunkingConfig, Passage, Sentence
from reportqa.errors import ReportqaError
from reportqa.index.aliases import Aliases, mine_aliases
from reportqa.index.bm25 import BM25Index
from reportqa.index.dense import FaissIndex
from reportqa.index.embedder import Embedder
from reportqa.index.manifest import (
    FILES,
    MANIFEST,
    SCHEMA_VERSION,
    DocumentInfo,
    EmbeddingInfo,
    IndexLoadError,
    IndexStaleError,
    Manifest,
    read_manifest,
)
from reportqa.ingest import CorpusError, Document, ReportParser, SourceFile
from reportqa.segment import Tokenizer

__all__ = ["IndexLoadError", "IndexStaleError", "IndexWriteError", "LoadedIndex", "load_index", "read_manifest"]


class IndexWriteError(ReportqaError):
    """The index cannot be written; the message names the folder."""


def index_text(passage: Passage) -> str:
    """What is embedded and BM25-indexed for a passage: its heading and text."""
    if passage.kind in ("prose", "box") and passage.heading:
        return f"{passage.heading}\n{passage.text}"
    return passage.text


def unique_sentences(passages: list[Passage]) -> tuple[list[Sentence], list[list[int]]]:
    """Distinct sentences (by offsets) and, per passage, the indices of its sentences."""
    seen: dict[tuple[int, int, str], int] = {}
    sentences: list[Sentence] = []
    members: list[list[int]] = []
    for passage in passages:
        ids = []
        for sentence in passage.sentences:
            key = (sentence.start, sentence.end, passage.doc_id)
            if key not in seen:
                seen[key] = len(sentences)
                sentences.append(sentence)
            ids.append(seen[key])
        members.append(ids)
    return sentences, members


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def passage_to_dict(passage: Passage) -> dict[str, Any]:
    """JSON form of a passage for the passage store."""
    return dataclasses.asdict(passage)


def passage_from_dict(data: dict[str, Any]) -> Passage:
    """Inverse of :func:`passage_to_dict`."""
    return Passage(
        data["id"], data["doc_id"], data["kind"], data["text"], tuple(data["section_path"]),
        data["page_start"], data["page_end"], data["start"], data["end"],
        tuple(tuple(s) for s in data["spans"]),  # type: ignore[misc]
        tuple(Sentence(s["text"], s["start"], s["end"]) for s in data["sentences"]),
    )


@dataclass(frozen=True)
class IndexIdentity:
    """What an index must match to be current: model, chunking, corpus."""

    model: str
    dim: int
    chunking: ChunkingConfig
    documents: dict[str, str]


@dataclass(frozen=True)
class LoadedIndex:
    """Everything search and answering need, loaded once."""

    manifest: Manifest
    passages: list[Passage]
    dense: FaissIndex
    bm25: BM25Index
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    members: list[list[int]]
    passage_vectors: np.ndarray
    sentence_dense: FaissIndex
    sentence_passages: list[list[int]]
    aliases: Aliases = field(default_factory=Aliases)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    passages: int
    sentences: int
    seconds: float
    embed_seconds: float
    model: str
    directory: str


class IndexBuilder:
    """Builds the index for a set of corpus files.

    Args:
        embedder: the loaded embedding model.
        tokenizer: the shared jieba tokenizer.
        chunking: chunking parameters.
        hnsw_threshold: above this many passages the FAISS index is HNSW.
    """

    def __init__(
        self,
        embedder: Embedder,
        tokenizer: Tokenizer,
        chunking: ChunkingConfig,
        model_id: str,
        hnsw_threshold: int = 20000,
    ) -> None:
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.chunking = chunking
        self.model_id = model_id
        self.hnsw_threshold = hnsw_threshold

    def build(
        self,
        passages: list[Passage],
        sources: list[SourceFile],
        directory: Path,
        progress: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> BuildReport:
        """Embed and index ready ``passages`` of ``sources`` (whose identities
        the manifest records) into ``directory``."""
        began = time.perf_counter()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with (directory / ".lock").open("w") as lock:
                # one build at a time per index folder: a second waits for the first
                fcntl.flock(lock, fcntl.LOCK_EX)
                return self._build(passages, sources, directory, progress, on_stage, began)
        except OSError as exc:
            raise IndexWriteError(f"cannot write the index in {directory} ({exc.strerror or exc}): "
                                  "check the folder's permissions and free space") from None

    def _build(
        self,
        passages: list[Passage],
        sources: list[SourceFile],
        directory: Path,
        progress: bool,
        on_stage: Callable[[str], None] | None,
        began: float,
    ) -> BuildReport:
        """Embed, index, write and swap in; longer than most because one
        try/finally around the temporary build folder has to span every step."""
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
        try:
            stage = on_stage or (lambda _: None)
            if not passages:
                raise CorpusError(f"no passages in {', '.join(s.path for s in sources)}: "
                                  "the corpus holds no report text")
            embed_began = time.perf_counter()
            texts = [index_text(p) for p in passages]
            sentences, members = unique_sentences(passages)
            stage(f"embedding {len(sentences)} sentences of {len(passages)} passages")
            sentence_vectors = self._sentence_vectors(passages, sentences, members, progress)
            # A passage's vector is the normalised mean of its sentences' vectors:
            # each sentence is embedded once, and the build costs half what
            # embedding whole passages as well would (eval figures in the README).
            vectors = np.stack([sentence_vectors[ids].mean(axis=0) for ids in members])
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            embed_seconds = time.perf_counter() - embed_began
            stage("indexing")
            dense = FaissIndex.build(vectors, self.hnsw_threshold)
            bm25 = BM25Index.build([self.tokenizer.tokenize(t) for t in texts])
            names = {
                "dense": f"dense-{build_id}.faiss",
                "passages": f"passages-{build_id}.jsonl",
                "bm25": f"bm25-{build_id}.npz",
                "sentences": f"sentences-{build_id}.npy",
            }
            self._write(tmp, names, dense, passages, bm25, sentence_vectors)
            seconds = time.perf_counter() - began
            manifest = Manifest(
                schema_version=SCHEMA_VERSION,
                build_id=build_id,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                embedding=EmbeddingInfo(model=self.model_id, dim=int(vectors.shape[1])),
                chunking=dataclasses.asdict(self.chunking),
                documents={s.doc_id: DocumentInfo(path=s.path, sha256=s.sha256) for s in sources},
                passages=len(passages),
                sentences=len(sentences),
                dense_kind=dense.kind,
                hnsw_threshold=self.hnsw_threshold,
                aliases=mine_aliases((p.text for p in passages), self.tokenizer).to_json(),
                build_seconds=round(seconds, 3),
                files=names,
                checksums={names[k]: _sha256(tmp / names[k]) for k in FILES},
            )
            (tmp / MANIFEST).write_text(manifest.to_json(), "utf-8")
            for key in FILES:
                os.replace(tmp / names[key], directory / names[key])
            os.replace(tmp / MANIFEST, directory / MANIFEST)
            self._remove_old(directory, set(names.values()))
            return BuildReport(
                len(passages), len(sentences), seconds, embed_seconds, self.model_id, str(directory)
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def _write(tmp: Path, names: dict[str, str], dense: FaissIndex, passages: list[Passage], bm25: BM25Index,
               sentence_vectors: np.ndarray) -> None:
        """Write the index files into the temporary build folder."""
        dense.save(str(tmp / names["dense"]))
        with (tmp / names["passages"]).open("w", encoding="utf-8") as fh:
            for passage in passages:
                fh.write(json.dumps(passage_to_dict(passage), ensure_ascii=False) + "\n")
        with (tmp / names["bm25"]).open("wb") as fh:
            np.savez(fh, **bm25.to_arrays())  # type: ignore[arg-type]
        with (tmp / names["sentences"]).open("wb") as fh:
            np.save(fh, sentence_vectors.astype(np.float32))

    def _sentence_vectors(
        self, passages: list[Passage], sentences: list[Sentence], members: list[list[int]], progress: bool
    ) -> np.ndarray:
        """Embed every sentence once. A whole table, one long "sentence", gets
        the mean of its rows' vectors instead: its rows are embedded anyway, and
        a long sequence costs the model more than all its rows together."""
        tables: dict[int, list[int]] = {}
        current: tuple[int, Passage] | None = None
        for k, passage in enumerate(passages):  # a table's rows follow it (chunk order)
            if passage.kind == "table":
                current = (k, passage)
                tables[members[k][0]] = []
            elif passage.kind == "table_row" and current is not None and current[1].doc_id == passage.doc_id \
                    and current[1].start <= passage.start < current[1].end:
                tables[members[current[0]][0]].append(members[k][0])
        derived = {s for s, rows in tables.items() if rows}
        embed = [i for i in range(len(sentences)) if i not in derived]
        vectors = self.embedder.embed_passages([sentences[i].text for i in embed], progress=progress)
        out = np.zeros((len(sentences), vectors.shape[1] if len(vectors) else self.embedder.dim), np.float32)
        out[embed] = vectors
        for s in derived:
            mean = out[tables[s]].mean(axis=0)
            out[s] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out

    @staticmethod
    def _remove_old(directory: Path, keep: set[str]) -> None:
        for path in directory.iterdir():
            old_build = path.name.startswith(tuple(f"{k}-" for k in FILES)) and path.name not in keep
            if old_build or (path.name.startswith(".build-") and path.is_dir()):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def check_current(manifest: Manifest, identity: IndexIdentity) -> None:
    """Raise :class:`IndexStaleError` when the index does not match ``identity``
    (:func:`read_manifest` has already turned away another schema version)."""
    reasons = []
    if manifest.embedding.model != identity.model:
        reasons.append(f"embedding model changed ({manifest.embedding.model} -> {identity.model})")
    elif identity.dim and manifest.embedding.dim != identity.dim:
        reasons.append("embedding dimension changed")
    if manifest.chunking != dataclasses.asdict(identity.chunking):
        reasons.append("chunking settings changed")
    built = {k: v.sha256 for k, v in manifest.documents.items()}
    if built != identity.documents:
        changed = sorted(set(built.items()) ^ set(identity.documents.items()))
        names = sorted({name for name, _ in changed})
        reasons.append(f"corpus changed ({', '.join(names)})")
    if reasons:
        raise IndexStaleError(f"index is stale: run `reportqa index` ({'; '.join(reasons)})")


def load_index(directory: Path, identity: IndexIdentity) -> LoadedIndex:
    """Load the index in ``directory`` after checking it is current and whole."""
    manifest = read_manifest(directory)
    check_current(manifest, identity)
    paths = {}
    for key in FILES:
        path = directory / manifest.files.get(key, f"<{key} missing from manifest>")
        if not path.is_file():
            raise IndexLoadError(f"index file {path} is missing: run `reportqa index`")
        try:
            digest = _sha256(path)
        except OSError as exc:
            raise IndexLoadError(f"index file {path} cannot be read ({exc.strerror or exc}): "
                                 "run `reportqa index`") from None
        if digest != manifest.checksums.get(path.name):
            raise IndexLoadError(f"index file {path} is corrupted: run `reportqa index`")
        paths[key] = path
    try:
        dense = FaissIndex.load(str(paths["dense"]))
        with paths["passages"].open(encoding="utf-8") as fh:
            passages = [passage_from_dict(json.loads(line)) for line in fh if line.strip()]
        with np.load(paths["bm25"], allow_pickle=False) as arrays:
            bm25 = BM25Index.from_arrays(dict(arrays))
        sentence_vectors = np.load(paths["sentences"], allow_pickle=False)
    except Exception as exc:  # a file that passed its checksum but cannot be read
        raise IndexLoadError(f"index in {directory} cannot be read ({exc}): run `reportqa index`") from None
    sentences, members = unique_sentences(passages)
    if dense.index.ntotal != len(passages) or len(sentence_vectors) != len(sentences):
        raise IndexLoadError(f"index in {directory} is inconsistent: run `reportqa index`")
    passage_vectors = dense.index.reconstruct_n(0, dense.index.ntotal)
    owners: list[list[int]] = [[] for _ in sentences]
    for p, ids in enumerate(members):
        for s in ids:
            owners[s].append(p)
    sentence_dense = FaissIndex.build(sentence_vectors, manifest.hnsw_threshold)
    return LoadedIndex(
        manifest=manifest, passages=passages, dense=dense, bm25=bm25, sentences=sentences,
        sentence_vectors=sentence_vectors, members=members, passage_vectors=passage_vectors,
        sentence_dense=sentence_dense, sentence_passages=owners, aliases=Aliases.from_json(manifest.aliases),
    )


def document_identity(sources: list[SourceFile]) -> dict[str, str]:
    """``doc_id -> sha256`` of the current corpus."""
    return {s.doc_id: s.sha256 for s in sources}


def parse_documents(sources: list[SourceFile]) -> dict[str, Document]:
    """Rebuilt documents by id (cheap; used by the viewer)."""
    parser = ReportParser()
    return {s.doc_id: parser.parse(s) for s in sources}
