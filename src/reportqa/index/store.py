"""The persisted index: one segment per report, in a store, loaded only when current.

A segment holds one report's passages, sentence vectors, BM25 tokens, mined
aliases and rebuilt document. Adding a report embeds that report only;
removing one drops its segment. A :class:`Store` keeps the segments and says
which are live:

- :class:`~reportqa.index.files.FileStore` (the default): folders under
  ``index/segments/`` and ``index/manifest.json``, searched with FAISS and our
  BM25 built at load;
- :class:`~reportqa.index.milvus.MilvusStore`: entities in Milvus (Milvus
  Lite in a file, or a Milvus server), searched by Milvus.

A change writes new segments under new names and makes them live last, so a
change killed at any point leaves the previous index loadable, and a process
that loaded the previous index keeps serving it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, overload

import numpy as np

from reportqa.chunking import ChunkingConfig, Passage, Sentence
from reportqa.errors import ReportqaError
from reportqa.index.aliases import Aliases, mine_aliases
from reportqa.index.bm25 import BM25Index
from reportqa.index.embedder import Embedder
from reportqa.index.manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    DocumentInfo,
    EmbeddingInfo,
    IndexLoadError,
    IndexStaleError,
    Manifest,
    read_manifest,
)
from reportqa.ingest import CorpusError, Document, SourceFile
from reportqa.ingest.records import Table
from reportqa.segment import Tokenizer
from reportqa.segment.tokenizer import NOT_A_WORD_CHAR, normalize

__all__ = ["Holdings", "IndexLoadError", "IndexStaleError", "IndexWriteError", "LoadedIndex", "MemoryHoldings",
           "Search", "Segment", "Store", "TermStats", "load_index", "read_manifest", "MANIFEST"]


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
    # doc_id -> sha256 of its source file; None: whatever reports are live (a replica without a corpus)
    documents: dict[str, str] | None


@dataclass(frozen=True)
class NewDocument:
    """A report ready to index: its source file, rebuilt document, passages and title."""

    source: SourceFile
    document: Document
    passages: list[Passage]
    title: str


@dataclass(frozen=True)
class Segment:
    """One report's part of the index: its passages (chunk order), the vector
    of each of its distinct sentences, each passage's BM25 tokens, the aliases
    mined from it and the rebuilt document; for a PDF report, the PDF file's
    bytes (a store that serves without the corpus keeps them for page images)."""

    passages: list[Passage]
    vectors: np.ndarray
    tokens: list[list[str]]
    aliases: Aliases
    document: Document
    source: bytes | None = None


class Search(Protocol):
    """Search over the passages of a loaded index; a position is a passage's
    place in :attr:`LoadedIndex.passages`."""

    kind: str

    def dense(self, vector: np.ndarray, depth: int) -> list[int]:
        """Candidates for a query vector: the ``depth`` passages nearest it and
        the passages of its ``2 * depth`` nearest sentences (the retriever rescores them)."""
        ...

    def lexical(self, tokens: list[str], depth: int, doc_ids: Collection[str] | None) -> list[tuple[int, float]]:
        """The ``depth`` best passages for the query's BM25 tokens (of ``doc_ids`` only,
        when given), best first, each with its positive score."""
        ...

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """Passages by id, as the store holds them (unknown ids are left out)."""
        ...


class _NoSearch:
    """The search of an index still being assembled."""

    kind = "none"

    def dense(self, vector: np.ndarray, depth: int) -> list[int]:
        raise RuntimeError("the index is not assembled yet")

    def lexical(self, tokens: list[str], depth: int, doc_ids: Collection[str] | None) -> list[tuple[int, float]]:
        raise RuntimeError("the index is not assembled yet")

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        raise RuntimeError("the index is not assembled yet")


class Holdings(Protocol):
    """What a loaded index holds, read by position, a few at a time.

    A passage's position is its place in the index (the reports in manifest
    order, each report's passages in chunk order); a sentence's id is its
    place among the index's distinct sentences, in the same order. The file
    store holds everything in memory; the Milvus store reads what a question
    touches and keeps it in bounded caches.
    """

    passage_count: int
    sentence_count: int

    def passages(self, positions: Sequence[int]) -> list[Passage]:
        """The passages at ``positions``, in that order."""
        ...

    def members(self, positions: Sequence[int]) -> list[list[int]]:
        """The ids of each passage's sentences, in text order."""
        ...

    def passage_vectors(self, positions: Sequence[int]) -> np.ndarray:
        """Each passage's vector (the normalised mean of its sentences'), one row each."""
        ...

    def sentences(self, ids: Sequence[int]) -> list[Sentence]:
        """The sentences of ``ids``."""
        ...

    def sentence_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The sentences' vectors, one row each."""
        ...

    def owners(self, ids: Sequence[int]) -> list[list[int]]:
        """The positions of the passages holding each sentence."""
        ...

    def position(self, passage_id: str) -> int | None:
        """A passage's position, or ``None`` for an id the index does not hold."""
        ...

    def document(self, doc_id: str) -> Document:
        """A report's rebuilt document (``KeyError`` for an unknown id)."""
        ...

    def tables(self, doc_id: str) -> list[tuple[Table, list[int]]]:
        """A report's parsed tables, each with the positions of its row passages in row order."""
        ...

    def source(self, doc_id: str) -> bytes | None:
        """A PDF report's file as the index holds it, checked against the manifest's
        SHA-256; ``None`` when the index keeps no copy (the corpus has the file)."""
        ...


def table_rows(passages: Sequence[Passage], document: Document) -> list[list[int]]:
    """For each table of ``document``, the places in ``passages`` (one report's,
    chunk order) of its rows' passages, in row order."""
    rows = {p.start: k for k, p in enumerate(passages) if p.kind == "table_row"}
    return [[rows[r.start] for r in table.rows if r.start in rows] for table in document.tables]


class MemoryHoldings:
    """Everything an index holds, in this process's memory (the file store)."""

    def __init__(self, passages: list[Passage], sentences: list[Sentence], sentence_vectors: np.ndarray,
                 members: list[list[int]], documents: dict[str, Document],
                 ranges: dict[str, tuple[int, int]]) -> None:
        self.all_passages = passages
        self.all_sentences = sentences
        self.sentence_matrix = sentence_vectors
        self.all_members = members
        self.passage_matrix = passage_vectors_of(sentence_vectors, members)
        owners: list[list[int]] = [[] for _ in sentences]
        for p, ids in enumerate(members):
            for s in ids:
                owners[s].append(p)
        self.all_owners = owners
        self.documents = documents
        self.passage_count = len(passages)
        self.sentence_count = len(sentences)
        self._positions = {p.id: k for k, p in enumerate(passages)}
        self._tables = {doc_id: [(t, [ranges[doc_id][0] + k for k in rows])
                                 for t, rows in zip(doc.tables, table_rows(passages[slice(*ranges[doc_id])], doc),
                                                    strict=True)]
                        for doc_id, doc in documents.items()}

    def passages(self, positions: Sequence[int]) -> list[Passage]:
        """See :class:`Holdings`."""
        return [self.all_passages[k] for k in positions]

    def members(self, positions: Sequence[int]) -> list[list[int]]:
        """See :class:`Holdings`."""
        return [self.all_members[k] for k in positions]

    def passage_vectors(self, positions: Sequence[int]) -> np.ndarray:
        """See :class:`Holdings`."""
        return self.passage_matrix[np.asarray(positions, dtype=np.int64)]

    def sentences(self, ids: Sequence[int]) -> list[Sentence]:
        """See :class:`Holdings`."""
        return [self.all_sentences[s] for s in ids]

    def sentence_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """See :class:`Holdings`."""
        return self.sentence_matrix[np.asarray(ids, dtype=np.int64)]

    def owners(self, ids: Sequence[int]) -> list[list[int]]:
        """See :class:`Holdings`."""
        return [self.all_owners[s] for s in ids]

    def position(self, passage_id: str) -> int | None:
        """See :class:`Holdings`."""
        return self._positions.get(passage_id)

    def document(self, doc_id: str) -> Document:
        """See :class:`Holdings`."""
        return self.documents[doc_id]

    def tables(self, doc_id: str) -> list[tuple[Table, list[int]]]:
        """See :class:`Holdings`."""
        return self._tables.get(doc_id, [])

    def source(self, doc_id: str) -> bytes | None:
        """See :class:`Holdings`: none, the file store serves from the corpus."""
        return None


K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A mapping that keeps its ``capacity`` most recently used entries."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry of ``key`` (now the most recent), or ``None``."""
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key``, dropping the least recent entry when full."""
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.capacity:
            self.data.popitem(last=False)

    def __len__(self) -> int:
        return len(self.data)


class PassageList(Sequence[Passage]):
    """All passages of an index as a sequence, read through its holdings one
    at a time (for a citation's neighbours and for tests, not for search)."""

    def __init__(self, holdings: Holdings) -> None:
        self.holdings = holdings

    def __len__(self) -> int:
        return self.holdings.passage_count

    @overload
    def __getitem__(self, at: int) -> Passage: ...

    @overload
    def __getitem__(self, at: slice) -> list[Passage]: ...

    def __getitem__(self, at: int | slice) -> Passage | list[Passage]:
        if isinstance(at, slice):
            return self.holdings.passages(range(len(self))[at])
        if not -len(self) <= at < len(self):
            raise IndexError(at)
        return self.holdings.passages([at % len(self)])[0]

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else NotImplemented


class DocumentShelf(Mapping[str, Document]):
    """The index's rebuilt documents by id, read through its holdings when asked for."""

    def __init__(self, holdings: Holdings, doc_ids: Sequence[str]) -> None:
        self.holdings = holdings
        self.doc_ids = list(doc_ids)

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self.doc_ids:
            raise KeyError(doc_id)
        return self.holdings.document(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self.doc_ids)

    def __len__(self) -> int:
        return len(self.doc_ids)


@dataclass(frozen=True)
class TermStats:
    """The corpus's term statistics: each known token's BM25 idf (the question
    analyser's term weights and the query side of BM25), and every run of
    :data:`RUN` characters of its text (how much of a question is written
    in the report's words)."""

    vocab: dict[str, int]
    idf: np.ndarray
    runs: frozenset[str] = frozenset()

    @classmethod
    def from_counts(cls, passages: int, df: Mapping[str, int], runs: frozenset[str] = frozenset(),
                    epsilon: float = 0.25) -> TermStats:
        """From the number of passages and each term's document frequency, as
        :meth:`BM25Index.build` (its epsilon floor for very common terms)."""
        vocab = {term: k for k, term in enumerate(df)}
        counts = np.array(list(df.values()), dtype=np.float64)
        idf = np.log(passages - counts + 0.5) - np.log(counts + 0.5)
        if len(idf):
            idf = np.where(idf < 0, epsilon * float(idf.mean()), idf)
        return cls(vocab, idf, runs)


RUN = 3  # characters in a run of the text that :class:`TermStats` keeps


def runs_of(chars: str, n: int = RUN) -> list[str]:
    """Every run of ``n`` adjacent characters of ``chars``, in order."""
    return [chars[k : k + n] for k in range(len(chars) - n + 1)]


def character_runs(texts: Iterable[str]) -> set[str]:
    """Every run of :data:`RUN` adjacent characters of the normalised texts,
    punctuation and blanks left out (数字贸易 → 数字贸, 字贸易)."""
    runs: set[str] = set()
    for text in texts:
        runs.update(runs_of(NOT_A_WORD_CHAR.sub("", normalize(text))))
    return runs


def document_frequencies(tokens: list[list[str]]) -> dict[str, int]:
    """Each term's number of passages, terms in order of first appearance."""
    df: Counter[str] = Counter()
    for passage in tokens:
        df.update(dict.fromkeys(passage, 1))
    return dict(df)


@dataclass(frozen=True)
class LoadedIndex:
    """Everything search and answering need, opened once: the manifest, the
    term statistics and aliases of the whole corpus, the holdings (passages,
    sentences, vectors, documents) read by position, and the search."""

    manifest: Manifest
    holdings: Holdings
    terms: TermStats
    aliases: Aliases = field(default_factory=Aliases)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # doc_id -> its passage positions
    segments: dict[str, str] = field(default_factory=dict)  # doc_id -> its live segment
    search: Search = field(default_factory=_NoSearch)

    @property
    def passages(self) -> PassageList:
        """Every passage, read one at a time through the holdings."""
        return PassageList(self.holdings)

    @property
    def documents(self) -> DocumentShelf:
        """The rebuilt documents by id, read when asked for."""
        return DocumentShelf(self.holdings, list(self.manifest.documents))

    def pdf(self, doc_id: str) -> Callable[[], bytes]:
        """How to read a PDF report's file: from the corpus when the file there is
        the one indexed, else the copy the store holds (``IndexLoadError`` when
        neither is there). Nothing is read until it is called."""
        info = self.manifest.documents[doc_id]

        def read() -> bytes:
            data = corpus_copy(info)
            if data is None:
                data = self.holdings.source(doc_id)
            if data is None:
                raise IndexLoadError(f"the PDF of {doc_id!r} is not in the corpus ({info.path}) and the index "
                                     "holds no copy of it: serve it where the corpus is, or run `reportqa index`")
            return data

        return read


def corpus_copy(info: DocumentInfo) -> bytes | None:
    """A PDF report's file in the corpus when it is there and is the one indexed
    (its SHA-256 that of the manifest), else ``None``."""
    path = Path(info.path)
    if path.suffix.lower() != ".pdf" or not path.is_file():
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == info.sha256 else None


class Store(Protocol):
    """Where the segments of an index live, and which of them are live."""

    kind: str  # "faiss" or "milvus"
    location: str  # for messages: a folder or a URI
    publishes_each: bool  # whether each document goes live as soon as it is written

    def manifest(self) -> Manifest:
        """What the index holds; :class:`IndexLoadError` when there is none,
        :class:`IndexStaleError` when it has another format."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Serialise changes where the store needs it."""
        ...

    def write_segment(self, name: str, doc_id: str, make: Callable[[], Segment]) -> dict[str, str]:
        """Store the segment ``make`` computes (embedding, for a new report) under
        ``name``, not yet live; returns its checksums, if any."""
        ...

    def publish(self, manifest: Manifest, changed: Collection[str], removed: Collection[str]) -> None:
        """Make ``manifest`` the live index: the segments of ``changed`` reports
        go live, ``removed`` reports go; then their unused segments are deleted."""
        ...

    def read_segment(self, info: DocumentInfo) -> Segment:
        """A live report's segment, checked."""
        ...

    def load(self, manifest: Manifest) -> LoadedIndex:
        """Open the live index ``manifest`` describes, ready to search."""
        ...


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
    """Adds and removes reports of the index in a store.

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
        store: Store,
        add: list[NewDocument],
        remove: Collection[str] = (),
        fresh: bool = False,
        progress: bool = False,
        on_stage: Callable[[str], None] | None = None,
    ) -> BuildReport:
        """Add (or replace) the reports of ``add`` and drop those of ``remove``;
        with ``fresh`` the index starts empty (a whole build). Readers never see
        half a report: a segment goes live only once it is whole."""
        began = time.perf_counter()
        stage = on_stage or (lambda _: None)
        try:
            with store.lock():
                previous = self.current_documents(store)
                documents = {} if fresh else dict(previous)
                for doc_id in remove:
                    documents.pop(doc_id, None)
                embedded, embed_seconds = 0, 0.0
                for new in add:
                    if not new.passages:
                        raise CorpusError(f"no passages in {new.source.path}: the corpus holds no report text")
                    stage(f"embedding {new.source.doc_id}: {len(new.passages)} passages")
                    t = time.perf_counter()
                    info, sentences = self._write_segment(store, new, progress)
                    embed_seconds += time.perf_counter() - t
                    embedded += sentences
                    documents[new.source.doc_id] = info
                    if store.publishes_each:  # this report is whole: it goes live now
                        store.publish(self._manifest(documents, time.perf_counter() - began),
                                      [new.source.doc_id], ())
                if not documents:
                    raise CorpusError("no reports to index: the corpus is empty")
                seconds = time.perf_counter() - began
                store.publish(self._manifest(documents, seconds), [n.source.doc_id for n in add],
                              sorted(set(previous) - set(documents)))
        except OSError as exc:
            raise IndexWriteError(f"cannot write the index in {store.location} ({exc.strerror or exc}): "
                                  "check the folder's permissions and free space") from None
        return BuildReport(
            sum(len(n.passages) for n in add), embedded, seconds, embed_seconds, self.model_id, store.location,
            tuple(n.source.doc_id for n in add), tuple(sorted(set(previous) - set(documents))),
        )

    def current_documents(self, store: Store) -> dict[str, DocumentInfo]:
        """The reports of the index already in ``store`` when it was built the
        same way (model, chunking, format); none otherwise, so all are rebuilt."""
        try:
            manifest = store.manifest()
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

    def segment(self, new: NewDocument, progress: bool = False) -> tuple[Segment, int]:
        """Embed one report into its segment; also says how many sentences were embedded."""
        sentences, members = unique_sentences(new.passages)
        vectors, embedded = self._sentence_vectors(new.passages, sentences, members, progress)
        tokens = [self.tokenizer.tokenize(index_text(p)) for p in new.passages]
        aliases = mine_aliases((p.text for p in new.passages), self.tokenizer)
        return Segment(new.passages, vectors.astype(np.float32), tokens, aliases, new.document,
                       pdf_bytes(new.source)), embedded

    def _write_segment(self, store: Store, new: NewDocument, progress: bool) -> tuple[DocumentInfo, int]:
        """Embed one report and store its segment; returns its manifest entry
        and how many sentences were embedded."""
        name = f"{new.source.doc_id}-{uuid.uuid4().hex[:10]}"
        made: list[tuple[Segment, int]] = []

        def make() -> Segment:  # computed once the store has opened its segment
            made.append(self.segment(new, progress))
            return made[0][0]

        checksums = store.write_segment(name, new.source.doc_id, make)
        segment, embedded = made[0]
        info = DocumentInfo(
            path=new.source.path, sha256=new.source.sha256, title=new.title, pages=len(new.document.pages),
            passages=len(new.passages), sentences=len(segment.vectors),
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
    if identity.documents is not None and built != identity.documents:
        changed = sorted(set(built.items()) ^ set(identity.documents.items()))
        names = sorted({name for name, _ in changed})
        reasons.append(f"corpus changed ({', '.join(names)})")
    if reasons:
        raise IndexStaleError(f"index is stale: run `reportqa index` ({'; '.join(reasons)})")




def passage_vectors_of(sentence_vectors: np.ndarray, members: list[list[int]]) -> np.ndarray:
    """Each passage's vector: the normalised mean of its sentences' vectors
    (each sentence is embedded once; eval figures in the README)."""
    if not members:
        return np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 0), np.float32)
    vectors = np.stack([sentence_vectors[ids].mean(axis=0) for ids in members]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def load_index(store: Store, identity: IndexIdentity) -> LoadedIndex:
    """Open the index in ``store`` after checking it is current."""
    manifest = store.manifest()
    check_current(manifest, identity)
    return store.load(manifest)


def passage_ranges(manifest: Manifest) -> dict[str, tuple[int, int]]:
    """Each report's passage positions ``(first, end)``, in manifest order."""
    ranges, at = {}, 0
    for doc_id, info in manifest.documents.items():
        ranges[doc_id] = (at, at + info.passages)
        at += info.passages
    return ranges


def assemble(manifest: Manifest, segments: dict[str, Segment], location: str) -> tuple[MemoryHoldings, BM25Index]:
    """The segments of a manifest's reports joined in memory, and BM25 over all their passages."""
    passages = [p for seg in segments.values() for p in seg.passages]
    sentences, members = unique_sentences(passages)
    dim = manifest.embedding.dim
    vectors = (np.concatenate([seg.vectors for seg in segments.values()]).astype(np.float32)
               if segments else np.zeros((0, dim), np.float32))
    if len(vectors) != len(sentences):
        raise IndexLoadError(f"index in {location} is inconsistent: run `reportqa index`")
    holdings = MemoryHoldings(passages, sentences, vectors, members,
                              {doc_id: seg.document for doc_id, seg in segments.items()}, passage_ranges(manifest))
    return holdings, BM25Index.build([t for seg in segments.values() for t in seg.tokens])


def copy_index(source: Store, target: Store) -> Manifest:
    """Copy every live report of ``source`` into ``target`` as it is (no
    embedding), e.g. an index built in files into Milvus; a PDF report's file
    goes with it from ``source`` or, when that keeps none, from the corpus.
    Returns the manifest copied."""
    manifest = source.manifest()

    def read(info: DocumentInfo) -> Segment:  # a PDF's bytes come from the source store, else the corpus
        segment = source.read_segment(info)
        return segment if segment.source is not None else dataclasses.replace(segment, source=corpus_copy(info))

    with target.lock():
        for doc_id, info in manifest.documents.items():
            target.write_segment(info.segment, doc_id, lambda info=info: read(info))  # type: ignore[misc]
        target.publish(manifest, list(manifest.documents), ())
    return manifest


def pdf_bytes(source: SourceFile) -> bytes | None:
    """A PDF report's file, checked against the SHA-256 it was read with; ``None`` for a text report."""
    if source.kind != "pdf":
        return None
    try:
        data = Path(source.path).read_bytes()
    except OSError as exc:
        raise CorpusError(f"{source.path}: corpus file cannot be read ({exc.strerror or exc})") from None
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise CorpusError(f"{source.path}: the file changed while it was indexed: index it again")
    return data


def document_identity(sources: list[SourceFile]) -> dict[str, str]:
    """``doc_id -> sha256`` of the current corpus."""
    return {s.doc_id: s.sha256 for s in sources}
