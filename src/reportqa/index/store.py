"""The persisted index: one segment per report, changed atomically, loaded only when current.

``index/`` holds ``manifest.json`` and ``segments/``: one folder per report
with its passages, sentence vectors, BM25 tokens, mined aliases and rebuilt
document. Adding a report embeds that report only; removing one drops its
segment. A change writes new segments under new names, replaces the manifest
last (``os.replace`` is atomic) and only then deletes the segments it no
longer names, so a change killed at any point leaves the previous index
loadable, and a process that loaded the previous index keeps serving it.

Loading joins the segments: the FAISS indexes and the BM25 statistics are
built over all reports at load (a second or two per hundred reports), so
adding a report never rewrites the others.
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
from collections.abc import Callable, Collection
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
    SEGMENTS,
    DocumentInfo,
    EmbeddingInfo,
    IndexLoadError,
    IndexStaleError,
    Manifest,
    read_manifest,
)
from reportqa.ingest import CorpusError, Document, SourceFile
from reportqa.ingest.records import document_from_json, document_to_json
from reportqa.segment import Tokenizer

__all__ = ["IndexLoadError", "IndexStaleError", "IndexWriteError", "LoadedIndex", "load_index", "read_manifest",
           "MANIFEST"]


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
    documents: dict[str, str]  # doc_id -> sha256 of its source file


@dataclass(frozen=True)
class NewDocument:
    """A report ready to index: its source file, rebuilt document, passages and title."""

    source: SourceFile
    document: Document
    passages: list[Passage]
    title: str


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
    documents: dict[str, Document] = field(default_factory=dict)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # doc_id -> its passage positions


@dataclass(frozen=True)
class BuildReport:
    """What a change to the index did."""

    passages: int  # passages of the reports added
    sentences: int  # sentences embedded
    seconds: float
    embed_seconds: float
    model: str
    directory: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class IndexBuilder:
    """Adds and removes reports of the index in a folder.

    Args:
        embedder: the loaded embedding model.
        tokenizer: the shared jieba tokenizer.
        chunking: chunking parameters.
        model_id: the model identity the manifest records.
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

    def update(
        self,
        directory: Path,
        add: list[NewDocument],
        remove: Collection[str] = (),
        fresh: bool = False,
        progress: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> BuildReport:
        """Add (or replace) the reports of ``add`` and drop those of ``remove``;
        with ``fresh`` the index starts empty (a whole build). Changes to one
        folder are serialised by a lock; readers never see half a change."""
        began = time.perf_counter()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with (directory / ".lock").open("w") as lock:
                # one change at a time per index folder: a second waits for the first
                fcntl.flock(lock, fcntl.LOCK_EX)
                return self._update(directory, add, set(remove), fresh, progress, on_stage or (lambda _: None),
                                    began)
        except OSError as exc:
            raise IndexWriteError(f"cannot write the index in {directory} ({exc.strerror or exc}): "
                                  "check the folder's permissions and free space") from None

    def _update(self, directory: Path, add: list[NewDocument], remove: set[str], fresh: bool, progress: bool,
                stage: Callable[[str], None], began: float) -> BuildReport:
        documents = {} if fresh else self.current_documents(directory)
        for doc_id in remove:
            documents.pop(doc_id, None)
        segments = directory / SEGMENTS
        segments.mkdir(exist_ok=True)
        embedded = 0
        embed_seconds = 0.0
        for new in add:
            if not new.passages:
                raise CorpusError(f"no passages in {new.source.path}: the corpus holds no report text")
            stage(f"embedding {new.source.doc_id}: {len(new.passages)} passages")
            t = time.perf_counter()
            info, sentences = self._write_segment(segments, new, progress)
            embed_seconds += time.perf_counter() - t
            embedded += sentences
            documents[new.source.doc_id] = info
        if not documents:
            raise CorpusError("no reports to index: the corpus is empty")
        seconds = time.perf_counter() - began
        manifest = self._manifest(documents, seconds)
        tmp = directory / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(manifest.to_json(), "utf-8")
        os.replace(tmp, directory / MANIFEST)
        self._remove_unused(directory, {info.segment for info in documents.values()})
        return BuildReport(
            sum(len(n.passages) for n in add), embedded, seconds, embed_seconds, self.model_id, str(directory),
            tuple(n.source.doc_id for n in add), tuple(sorted(remove)),
        )

    def current_documents(self, directory: Path) -> dict[str, DocumentInfo]:
        """The reports of the index already in ``directory`` when it was built the
        same way (model, chunking, format); none otherwise, so all are rebuilt."""
        try:
            manifest = read_manifest(directory)
        except IndexLoadError:
            return {}
        if (manifest.embedding.model != self.model_id or manifest.chunking != dataclasses.asdict(self.chunking)
                or manifest.hnsw_threshold != self.hnsw_threshold):
            return {}
        return dict(manifest.documents)

    def _manifest(self, documents: dict[str, DocumentInfo], seconds: float) -> Manifest:
        passages = sum(d.passages for d in documents.values())
        return Manifest(
            schema_version=SCHEMA_VERSION,
            build_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            embedding=EmbeddingInfo(model=self.model_id, dim=self.embedder.dim),
            chunking=dataclasses.asdict(self.chunking),
            documents=dict(sorted(documents.items())),
            passages=passages,
            sentences=sum(d.sentences for d in documents.values()),
            dense_kind="hnsw" if passages > self.hnsw_threshold else "flat",
            hnsw_threshold=self.hnsw_threshold,
            build_seconds=round(seconds, 3),
        )

    def _write_segment(self, segments: Path, new: NewDocument, progress: bool) -> tuple[DocumentInfo, int]:
        """Embed one report and write its segment folder; returns its manifest
        entry and how many sentences were embedded."""
        name = f"{new.source.doc_id}-{uuid.uuid4().hex[:10]}"
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=segments))
        try:
            sentences, members = unique_sentences(new.passages)
            vectors, embedded = self._sentence_vectors(new.passages, sentences, members, progress)
            tokens = [self.tokenizer.tokenize(index_text(p)) for p in new.passages]
            aliases = mine_aliases((p.text for p in new.passages), self.tokenizer)
            with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
                for passage in new.passages:
                    fh.write(json.dumps(passage_to_dict(passage), ensure_ascii=False) + "\n")
            with (tmp / "sentences.npy").open("wb") as fh:
                np.save(fh, vectors.astype(np.float32))
            (tmp / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), "utf-8")
            (tmp / "aliases.json").write_text(json.dumps(aliases.to_json(), ensure_ascii=False), "utf-8")
            (tmp / "document.json").write_text(json.dumps(document_to_json(new.document), ensure_ascii=False),
                                               "utf-8")
            checksums = {f: _sha256(tmp / f) for f in FILES}
            os.rename(tmp, segments / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        info = DocumentInfo(
            path=new.source.path, sha256=new.source.sha256, title=new.title, pages=len(new.document.pages),
            passages=len(new.passages), sentences=len(sentences),
            added_at=datetime.now(UTC).isoformat(timespec="seconds"), segment=name, checksums=checksums,
        )
        return info, embedded

    def _sentence_vectors(
        self, passages: list[Passage], sentences: list[Sentence], members: list[list[int]], progress: bool
    ) -> tuple[np.ndarray, int]:
        """Embed every sentence once (and say how many were embedded). A whole
        table, one long "sentence", gets the mean of its rows' vectors instead:
        its rows are embedded anyway, and a long sequence costs the model more
        than all its rows together."""
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
        return out, len(embed)

    @staticmethod
    def _remove_unused(directory: Path, keep: set[str]) -> None:
        """Delete segments the manifest no longer names, leftovers of killed
        changes, and the files of the one-file-set index format before segments."""
        for path in (directory / SEGMENTS).iterdir():
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in directory.iterdir():
            old_format = path.name.startswith(("dense-", "passages-", "bm25-", "sentences-", ".build-"))
            if old_format or (path.name.startswith(f".{MANIFEST}.")):
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


@dataclass(frozen=True)
class _Segment:
    passages: list[Passage]
    vectors: np.ndarray
    tokens: list[list[str]]
    aliases: Aliases
    document: Document


def _read_segment(directory: Path, info: DocumentInfo) -> _Segment:
    """One report's segment, its files checked against the manifest's checksums."""
    folder = directory / SEGMENTS / info.segment
    for name in FILES:
        path = folder / name
        if not path.is_file():
            raise IndexLoadError(f"index file {path} is missing: run `reportqa index`")
        try:
            digest = _sha256(path)
        except OSError as exc:
            raise IndexLoadError(f"index file {path} cannot be read ({exc.strerror or exc}): "
                                 "run `reportqa index`") from None
        if digest != info.checksums.get(name):
            raise IndexLoadError(f"index file {path} is corrupted: run `reportqa index`")
    try:
        with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
            passages = [passage_from_dict(json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(folder / "sentences.npy", allow_pickle=False)
        tokens = json.loads((folder / "tokens.json").read_text("utf-8"))
        aliases = Aliases.from_json(json.loads((folder / "aliases.json").read_text("utf-8")))
        document = document_from_json(json.loads((folder / "document.json").read_text("utf-8")))
    except Exception as exc:  # a file that passed its checksum but cannot be read
        raise IndexLoadError(f"index in {folder} cannot be read ({exc}): run `reportqa index`") from None
    if len(passages) != info.passages or len(tokens) != len(passages) or len(vectors) != info.sentences:
        raise IndexLoadError(f"index in {folder} is inconsistent: run `reportqa index`")
    return _Segment(passages, vectors, tokens, aliases, document)


def load_index(directory: Path, identity: IndexIdentity) -> LoadedIndex:
    """Load the index in ``directory`` after checking it is current and whole."""
    manifest = read_manifest(directory)
    check_current(manifest, identity)
    segments = {doc_id: _read_segment(directory, info) for doc_id, info in manifest.documents.items()}
    passages = [p for seg in segments.values() for p in seg.passages]
    ranges, at = {}, 0
    for doc_id, seg in segments.items():
        ranges[doc_id] = (at, at + len(seg.passages))
        at += len(seg.passages)
    sentences, members = unique_sentences(passages)
    sentence_vectors = np.concatenate([seg.vectors for seg in segments.values()]).astype(np.float32)
    if len(sentence_vectors) != len(sentences):
        raise IndexLoadError(f"index in {directory} is inconsistent: run `reportqa index`")
    # a passage's vector is the normalised mean of its sentences' vectors: each
    # sentence is embedded once (eval figures in the README)
    passage_vectors = np.stack([sentence_vectors[ids].mean(axis=0) for ids in members]).astype(np.float32)
    passage_vectors /= np.maximum(np.linalg.norm(passage_vectors, axis=1, keepdims=True), 1e-12)
    owners: list[list[int]] = [[] for _ in sentences]
    for p, ids in enumerate(members):
        for s in ids:
            owners[s].append(p)
    return LoadedIndex(
        manifest=manifest, passages=passages, dense=FaissIndex.build(passage_vectors, manifest.hnsw_threshold),
        bm25=BM25Index.build([t for seg in segments.values() for t in seg.tokens]), sentences=sentences,
        sentence_vectors=sentence_vectors, members=members, passage_vectors=passage_vectors,
        sentence_dense=FaissIndex.build(sentence_vectors, manifest.hnsw_threshold), sentence_passages=owners,
        aliases=Aliases.merge([seg.aliases for seg in segments.values()]),
        documents={doc_id: seg.document for doc_id, seg in segments.items()}, ranges=ranges,
    )


def document_identity(sources: list[SourceFile]) -> dict[str, str]:
    """``doc_id -> sha256`` of the current corpus."""
    return {s.doc_id: s.sha256 for s in sources}

