"""The default store: segment folders and a manifest on disk, searched in process.

``index/`` holds ``manifest.json`` and ``segments/``: one folder per report
(:data:`~reportqa.index.manifest.FILES`). A change writes new segment folders
under new names, replaces the manifest last (``os.replace`` is atomic) and
only then deletes the folders it no longer names. Changes to one folder are
serialised by a lock file.

Loading joins the segments: the FAISS indexes and the BM25 statistics are
built over all reports at load (a second or two per hundred reports), so
adding a report never rewrites the others.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from reportqa.chunking import Passage
from reportqa.index.aliases import Aliases
from reportqa.index.bm25 import BM25Index
from reportqa.index.dense import FaissIndex, top_k
from reportqa.index.manifest import (
    FILES,
    MANIFEST,
    SEGMENTS,
    DocumentInfo,
    IndexLoadError,
    Manifest,
    read_manifest,
)
from reportqa.index.store import (
    LoadedIndex,
    MemoryHoldings,
    Segment,
    TermStats,
    assemble,
    character_runs,
    passage_from_dict,
    passage_ranges,
    passage_to_dict,
)
from reportqa.ingest.records import document_from_json, document_to_json


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LocalSearch:
    """FAISS over passage and sentence vectors and our BM25, in this process."""

    kind = "faiss"

    def __init__(self, holdings: MemoryHoldings, bm25: BM25Index, ranges: dict[str, tuple[int, int]],
                 hnsw_threshold: int) -> None:
        self.passage_dense = FaissIndex.build(holdings.passage_matrix, hnsw_threshold)
        self.sentence_dense = FaissIndex.build(holdings.sentence_matrix, hnsw_threshold)
        self.owners = holdings.all_owners
        self.bm25 = bm25
        self.ranges = ranges
        self.by_id = {p.id: p for p in holdings.all_passages}

    def dense(self, vector: np.ndarray, depth: int) -> list[int]:
        """See :class:`~reportqa.index.store.Search`."""
        _, pids = self.passage_dense.search(vector[None, :], depth)
        _, sids = self.sentence_dense.search(vector[None, :], depth * 2)
        cands = set(pids[0][pids[0] >= 0].tolist())
        for s in sids[0][sids[0] >= 0].tolist():
            cands.update(self.owners[s])
        return sorted(cands)

    def lexical(self, tokens: list[str], depth: int, doc_ids: Collection[str] | None) -> list[tuple[int, float]]:
        """See :class:`~reportqa.index.store.Search`."""
        scores = self.bm25.scores(tokens)
        if doc_ids is not None:
            kept = np.zeros_like(scores)
            for doc_id in doc_ids:
                a, b = self.ranges[doc_id]
                kept[a:b] = scores[a:b]
            scores = kept
        best, ids = top_k(scores, min(depth, len(scores)))
        return [(int(i), float(v)) for i, v in zip(ids[0].tolist(), best[0].tolist(), strict=True) if v > 0]

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """See :class:`~reportqa.index.store.Search`."""
        return [self.by_id[i] for i in ids if i in self.by_id]


class FileStore:
    """Segments in folders under ``directory``, made live by ``manifest.json``."""

    kind = "faiss"
    publishes_each = False  # a change goes live whole, with the manifest

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = str(directory)

    def manifest(self) -> Manifest:
        """See :class:`~reportqa.index.store.Store`."""
        return read_manifest(self.directory)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One change at a time per index folder: a second waits for the first."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def write_segment(self, name: str, doc_id: str, make: Callable[[], Segment]) -> dict[str, str]:
        """Write the segment's folder under a temporary name, opened before the
        segment is computed and renamed when whole."""
        segments = self.directory / SEGMENTS
        segments.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=segments))
        try:
            segment = make()
            with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
                for passage in segment.passages:
                    fh.write(json.dumps(passage_to_dict(passage), ensure_ascii=False) + "\n")
            with (tmp / "sentences.npy").open("wb") as fh:
                np.save(fh, segment.vectors.astype(np.float32))
            (tmp / "tokens.json").write_text(json.dumps(segment.tokens, ensure_ascii=False), "utf-8")
            (tmp / "aliases.json").write_text(json.dumps(segment.aliases.to_json(), ensure_ascii=False), "utf-8")
            (tmp / "document.json").write_text(json.dumps(document_to_json(segment.document), ensure_ascii=False),
                                               "utf-8")
            checksums = {f: sha256_of(tmp / f) for f in FILES}
            os.rename(tmp, segments / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return checksums

    def publish(self, manifest: Manifest, changed: Collection[str], removed: Collection[str]) -> None:
        """Replace the manifest, then delete the segments it no longer names."""
        tmp = self.directory / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(manifest.to_json(), "utf-8")
        os.replace(tmp, self.directory / MANIFEST)
        self._remove_unused({info.segment for info in manifest.documents.values()})

    def _remove_unused(self, keep: set[str]) -> None:
        """Delete segments the manifest no longer names, leftovers of killed
        changes, and the files of the one-file-set index format before segments."""
        for path in (self.directory / SEGMENTS).iterdir():
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.directory.iterdir():
            old_format = path.name.startswith(("dense-", "passages-", "bm25-", "sentences-", ".build-"))
            if old_format or (path.name.startswith(f".{MANIFEST}.")):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def read_segment(self, info: DocumentInfo) -> Segment:
        """One report's segment, its files checked against the manifest's checksums."""
        folder = self.directory / SEGMENTS / info.segment
        for name in FILES:
            path = folder / name
            if not path.is_file():
                raise IndexLoadError(f"index file {path} is missing: run `reportqa index`")
            try:
                digest = sha256_of(path)
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
        return Segment(passages, vectors, tokens, aliases, document)

    def load(self, manifest: Manifest) -> LoadedIndex:
        """Every live segment read into memory, with FAISS and BM25 built over them all."""
        segments = {doc_id: self.read_segment(info) for doc_id, info in manifest.documents.items()}
        holdings, bm25 = assemble(manifest, segments, self.location)
        ranges = passage_ranges(manifest)
        return LoadedIndex(
            manifest=manifest, holdings=holdings,
            terms=TermStats(bm25.vocab, bm25.idf,
                            frozenset(character_runs(p.text for p in holdings.all_passages))),
            aliases=Aliases.merge([seg.aliases for seg in segments.values()]), ranges=ranges,
            segments={doc_id: info.segment for doc_id, info in manifest.documents.items()},
            search=LocalSearch(holdings, bm25, ranges, manifest.hnsw_threshold),
        )

