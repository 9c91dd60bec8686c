"""The Milvus store: the index as Milvus entities, searched by Milvus.

The same client (``pymilvus``) talks to an embedded Milvus Lite file (a path
ending ``.db``) or to a Milvus server (``http://host:port``). One set of
collections per index identity (model and chunking), named
``rq_<hash>_<part>``:

- ``passages``: one entity per passage of a segment: its doc id, segment,
  place in the report, the passage, its sentences' places and its BM25
  tokens as JSON, its vector (the normalised mean of its sentences'), and
  its BM25 term weights as a sparse vector over our own jieba tokens
  (hashed), so that Milvus's inner product with a query of idf weights is our
  BM25 score (the query's idf comes from the term statistics the serving
  process loads; a passage's length is normalised by its own report's average);
- ``sentences``: one entity per distinct sentence of a segment, with its
  vector, its text and offsets and the places of the passages holding it;
- ``blobs``: the segment's rebuilt document, mined aliases, term counts and
  tables' row places, as JSON in parts, and a PDF report's file (``source``,
  base64 in parts), so that a replica without the corpus serves page images;
- ``documents``: one row per live report (its manifest entry) and a ``~meta``
  row with the rest of the manifest, the schema version among it.

A serving process keeps only the manifest, the term statistics and the
aliases; it reads the passages, sentences and documents a question touches
by primary key (:class:`MilvusHoldings`, bounded caches), so its memory does
not grow with the number of reports beyond those.

A report is written under a new segment name and goes live when its row is
written, after all its entities are flushed; searches filter on the live
segments a process loaded. So a build killed halfway leaves no half report
visible, and shards building different reports into one Milvus never touch
each other's rows. The next change of a report deletes the entities of its
segments that are not live.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.chunking import ChunkingConfig, Passage, Sentence
from reportqa.index.aliases import Aliases
from reportqa.index.manifest import (
    SCHEMA_VERSION,
    DocumentInfo,
    EmbeddingInfo,
    IndexLoadError,
    IndexStaleError,
    Manifest,
)
from reportqa.index.store import (
    IndexWriteError,
    LoadedIndex,
    Lru,
    Segment,
    TermStats,
    character_runs,
    document_frequencies,
    passage_from_dict,
    passage_ranges,
    passage_to_dict,
    table_rows,
    unique_sentences,
)
from reportqa.ingest.records import Document, Table, document_from_json, document_to_json

# the entity layout; another value means the collections must be rebuilt
# (3: a PDF report's file in the blobs; 4: the runs of characters of a report's text)
MILVUS_SCHEMA = 4
META = "~meta"  # no report id starts with ~
TEXT_BYTES = 65535  # Milvus's largest VARCHAR
BLOB_CHARS = 16000  # a blob part in characters: at most 4 bytes each in UTF-8
SOURCE_BYTES = 3 * 16383  # a part of a PDF file: 65,532 characters of base64, under TEXT_BYTES
SOURCE_PAGE = 64  # PDF parts per insert or query call (about 4 MB)
PAGE = 4000  # entities per query or insert call
PARTS = ("passages", "sentences", "blobs", "documents")
BM25_K1, BM25_B = 1.5, 0.75  # as BM25Index
BLOBS = ("document", "aliases", "terms", "tables")
# what a serving process caches: passages and sentences by position, documents by id
CACHED_PASSAGES, CACHED_SENTENCES, CACHED_DOCUMENTS = 4096, 16384, 8
SEGMENTS_PER_QUERY = 32  # live segments named in one filter when reading blobs


def term_key(token: str) -> int:
    """A jieba token's dimension in the sparse BM25 vectors (31 bits of its hash)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "big") >> 1


def bm25_weights(tokens: list[list[str]], k1: float = BM25_K1, b: float = BM25_B) -> list[dict[int, float]]:
    """Each passage's BM25 document side, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``
    per term, with the average length ``avgdl`` of these passages (as :class:`BM25Index`)."""
    avgdl = max(sum(len(t) for t in tokens) / max(len(tokens), 1), 1e-9)
    out = []
    for passage in tokens:
        norm = k1 * (1 - b + b * len(passage) / avgdl)
        weights: dict[int, float] = {}
        for term, tf in Counter(passage).items():
            key = term_key(term)
            weights[key] = weights.get(key, 0.0) + tf * (k1 + 1) / (tf + norm)
        out.append(weights or {0: 0.0})
    return out


def _quoted(values: Collection[str]) -> str:
    """A Milvus filter list of strings."""
    return json.dumps(sorted(values), ensure_ascii=False)


class MilvusStore:
    """The index in Milvus at ``uri``.

    Args:
        uri: a path ending ``.db`` (Milvus Lite) or ``http://host:port``.
        model_id: the embedding model the index is built with.
        chunking: the chunking parameters.
        dim: the embedding size, needed to create the collections (writing).
    """

    kind = "milvus"
    publishes_each = True  # each report goes live as soon as it is whole

    def __init__(self, uri: str, model_id: str, chunking: ChunkingConfig, dim: int | None = None) -> None:
        # every Milvus error becomes one line of ours; pymilvus would also log each with its traceback
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
        try:
            from pymilvus import MilvusClient
        except ImportError:  # pragma: no cover - the [scale] extra is part of make setup
            raise IndexLoadError("REPORTQA_STORE=milvus needs pymilvus: pip install 'reportqa[scale]'") from None
        if not (uri.endswith(".db") or uri.startswith(("http://", "https://"))):
            raise IndexLoadError(f"REPORTQA_MILVUS_URI {uri!r}: use a path ending .db (Milvus Lite) "
                                 "or http://host:port (a Milvus server)")
        self.uri = uri
        self.location = uri
        self.dim = dim
        identity = json.dumps([model_id, dataclasses.asdict(chunking)], sort_keys=True)
        self.prefix = "rq_" + hashlib.sha1(identity.encode()).hexdigest()[:12]
        try:
            if uri.endswith(".db"):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            self.client = MilvusClient(uri)
        except Exception as exc:
            raise IndexLoadError(f"cannot reach Milvus at {uri} ({_message(exc)})") from None
        self.name = {part: f"{self.prefix}_{part}" for part in PARTS}
        self._loaded = False

    # -- reading -------------------------------------------------------------------
    def _exists(self) -> bool:
        """Whether the collections are there; they are loaded (searchable) once they are."""
        if self._loaded:
            return True
        if not all(self.client.has_collection(n) for n in self.name.values()):
            return False
        for name in self.name.values():
            self.client.load_collection(name)
        self._loaded = True
        return True

    def _rows(self, part: str, filter: str, fields: list[str], count: int | None = None) -> list[dict[str, Any]]:
        """All entities of a collection that pass ``filter`` (paged by ``position``
        when ``count`` is given, else one call)."""
        if count is None:
            return list(self.client.query(self.name[part], filter=filter, output_fields=fields, limit=16384))
        out: list[dict[str, Any]] = []
        for at in range(0, count, PAGE):
            out += self.client.query(self.name[part], filter=f"{filter} and position >= {at} and position < "
                                     f"{at + PAGE}", output_fields=fields, limit=PAGE)
        return out

    def manifest(self) -> Manifest:
        """See :class:`~reportqa.index.store.Store`: built from the ``~meta`` row and the live rows."""
        try:
            if not self._exists():
                raise IndexLoadError(f"index not found in Milvus at {self.uri}: run `reportqa index`")
            rows = self._rows("documents", 'doc_id != ""', ["doc_id", "data"])
        except IndexLoadError:
            raise
        except Exception as exc:
            raise IndexLoadError(f"cannot read the index in Milvus at {self.uri} ({_message(exc)})") from None
        meta = next((json.loads(r["data"]) for r in rows if r["doc_id"] == META), None)
        if meta is None:
            raise IndexLoadError(f"index not found in Milvus at {self.uri}: run `reportqa index`")
        if meta.get("milvus_schema") != MILVUS_SCHEMA or meta.get("schema_version") != SCHEMA_VERSION:
            raise IndexStaleError("index is stale: run `reportqa index` (index format changed)")
        documents = {r["doc_id"]: DocumentInfo(**json.loads(r["data"])) for r in rows if r["doc_id"] != META}
        return Manifest(
            schema_version=SCHEMA_VERSION, build_id=meta["build_id"], created_at=meta["created_at"],
            embedding=EmbeddingInfo(**meta["embedding"]), chunking=meta["chunking"],
            documents=dict(sorted(documents.items())), passages=sum(d.passages for d in documents.values()),
            sentences=sum(d.sentences for d in documents.values()), dense_kind="milvus",
            hnsw_threshold=meta["hnsw_threshold"], build_seconds=meta["build_seconds"],
        )

    def read_segment(self, info: DocumentInfo) -> Segment:
        """See :class:`~reportqa.index.store.Store`."""
        where = f'segment == "{info.segment}"'
        try:
            prow = sorted(self._rows("passages", where, ["position", "data"], info.passages),
                          key=lambda r: r["position"])
            srow = sorted(self._rows("sentences", where, ["position", "dense"], info.sentences),
                          key=lambda r: r["position"])
            blobs = sorted(self._rows("blobs", f'{where} and name in ["document", "aliases"]', ["name", "part", "data"]),
                           key=lambda r: (r["name"], r["part"]))
        except Exception as exc:
            raise IndexLoadError(f"cannot read {info.segment} from Milvus at {self.uri} ({_message(exc)})") from None
        if len(prow) != info.passages or len(srow) != info.sentences:
            raise IndexLoadError(f"index in Milvus at {self.uri} is inconsistent ({info.segment}): "
                                 "run `reportqa index`")
        data = [json.loads(r["data"]) for r in prow]
        text = {name: "".join(r["data"] for r in blobs if r["name"] == name) for name in ("document", "aliases")}
        try:
            document = document_from_json(json.loads(text["document"]))
            aliases = Aliases.from_json(json.loads(text["aliases"]))
        except ValueError:
            raise IndexLoadError(f"index in Milvus at {self.uri} is inconsistent ({info.segment}): "
                                 "run `reportqa index`") from None
        vectors = np.array([r["dense"] for r in srow], dtype=np.float32).reshape(len(srow), -1)
        return Segment([passage_from_dict(d["passage"]) for d in data], vectors, [d["tokens"] for d in data],
                       aliases, document, self.source(info.segment))

    def blobs(self, name: str, segments: Sequence[str]) -> dict[str, Any]:
        """Blob ``name`` of each of ``segments``, parsed, by segment."""
        parts: dict[str, list[tuple[int, str]]] = {}
        try:
            for at in range(0, len(segments), SEGMENTS_PER_QUERY):
                chunk = segments[at: at + SEGMENTS_PER_QUERY]
                for r in self._rows("blobs", f'name == "{name}" and segment in {_quoted(chunk)}',
                                    ["segment", "part", "data"]):
                    parts.setdefault(r["segment"], []).append((r["part"], r["data"]))
        except Exception as exc:
            raise IndexLoadError(f"cannot read the index in Milvus at {self.uri} ({_message(exc)})") from None
        if set(parts) != set(segments):
            raise IndexLoadError(f"index in Milvus at {self.uri} is inconsistent ({name}): run `reportqa index`")
        try:
            return {seg: json.loads("".join(text for _, text in sorted(parts[seg]))) for seg in segments}
        except ValueError:
            raise IndexLoadError(f"index in Milvus at {self.uri} is inconsistent ({name}): "
                                 "run `reportqa index`") from None

    def source(self, segment: str) -> bytes | None:
        """The PDF file held for ``segment`` (``None`` when it holds none: a text
        report), read :data:`SOURCE_PAGE` parts at a time."""
        where = f'segment == "{segment}" and name == "source"'
        parts: list[dict[str, Any]] = []
        try:
            while True:
                rows = self.client.query(self.name["blobs"], output_fields=["part", "data"], limit=SOURCE_PAGE,
                                         filter=f"{where} and part >= {len(parts)} and part < "
                                                f"{len(parts) + SOURCE_PAGE}")
                parts += rows
                if len(rows) < SOURCE_PAGE:
                    break
        except Exception as exc:
            raise IndexLoadError(f"cannot read the index in Milvus at {self.uri} ({_message(exc)})") from None
        if not parts:
            return None
        return b"".join(base64.b64decode(r["data"]) for r in sorted(parts, key=lambda r: r["part"]))

    def load(self, manifest: Manifest) -> LoadedIndex:
        """See :class:`~reportqa.index.store.Store`: the term statistics and
        aliases of every live report, merged; passages, sentences and
        documents stay in Milvus and are read when a question touches them."""
        segments = [info.segment for info in manifest.documents.values()]
        df: dict[str, int] = {}
        for counts in self.blobs("terms", segments).values():
            for term, n in counts:
                df[term] = df.get(term, 0) + n
        runs = frozenset(run for segment_runs in self.blobs("runs", segments).values() for run in segment_runs)
        terms = TermStats.from_counts(manifest.passages, df, runs)
        aliases = Aliases.merge([Aliases.from_json(a) for a in self.blobs("aliases", segments).values()])
        holdings = MilvusHoldings(self, manifest)
        return LoadedIndex(
            manifest=manifest, holdings=holdings, terms=terms, aliases=aliases, ranges=passage_ranges(manifest),
            segments={doc_id: info.segment for doc_id, info in manifest.documents.items()},
            search=MilvusSearch(self, holdings, terms),
        )

    # -- writing -------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """No lock: changes to different reports never touch the same rows, and
        Milvus orders writes to one row."""
        try:
            self._create()
            yield
        except (IndexLoadError, IndexWriteError, OSError):
            raise
        except Exception as exc:
            if type(exc).__module__.startswith("pymilvus"):
                raise IndexWriteError(f"cannot write the index to Milvus at {self.uri} ({_message(exc)})") from None
            raise

    def _create(self) -> None:
        """Create the collections that are missing (shards starting together may
        race: a collection another created first is fine); drop them all first
        when the ``~meta`` row says they have another entity layout."""
        from pymilvus import DataType

        if self._exists():
            meta = self._rows("documents", f'doc_id == "{META}"', ["data"])
            if not meta or json.loads(meta[0]["data"]).get("milvus_schema") == MILVUS_SCHEMA:
                return
            for name in self.name.values():
                self.client.drop_collection(name)
            self._loaded = False
        if self.dim is None:
            raise IndexWriteError("creating the Milvus collections needs the embedding size")
        for part in PARTS:
            if self.client.has_collection(self.name[part]):
                continue
            schema = self.client.create_schema(auto_id=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
            params = self.client.prepare_index_params()
            if part == "documents":
                schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
            else:
                schema.add_field("segment", DataType.VARCHAR, max_length=160)
                schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
            if part in ("passages", "sentences"):
                schema.add_field("position", DataType.INT64)
                schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
                params.add_index(field_name="dense", index_type="FLAT", metric_type="COSINE")
            else:  # Milvus wants a vector field in every collection
                schema.add_field("none", DataType.FLOAT_VECTOR, dim=2)
                params.add_index(field_name="none", index_type="FLAT", metric_type="L2")
            if part == "blobs":
                schema.add_field("name", DataType.VARCHAR, max_length=32)
                schema.add_field("part", DataType.INT64)
            schema.add_field("data", DataType.VARCHAR, max_length=TEXT_BYTES)
            if part == "passages":
                schema.add_field("pid", DataType.VARCHAR, max_length=128)
                schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
                params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            try:
                self.client.create_collection(self.name[part], schema=schema, index_params=params,
                                              consistency_level="Strong")
            except Exception:
                if not self.client.has_collection(self.name[part]):  # not a shard that got there first
                    raise
        self._exists()

    def write_segment(self, name: str, doc_id: str, make: Callable[[], Segment]) -> dict[str, str]:
        """Insert the entities of the segment ``make`` computes (not live until
        :meth:`publish`); no checksums."""
        segment = make()
        base = {"segment": name, "doc_id": doc_id}
        rows = []
        sentences, members = unique_sentences(segment.passages)
        owners: list[list[int]] = [[] for _ in sentences]
        for k, ids in enumerate(members):
            for i in ids:
                owners[i].append(k)
        weights = bm25_weights(segment.tokens)
        for k, (passage, tokens) in enumerate(zip(segment.passages, segment.tokens, strict=True)):
            data = json.dumps({"passage": passage_to_dict(passage), "members": members[k], "tokens": tokens},
                              ensure_ascii=False)
            if len(data.encode("utf-8")) > TEXT_BYTES:
                raise IndexWriteError(f"passage {passage.id} of {doc_id} is too long for Milvus "
                                      f"({len(data.encode('utf-8'))} bytes of JSON; at most {TEXT_BYTES})")
            mean = segment.vectors[members[k]].mean(axis=0)
            rows.append({**base, "key": f"{name}/{k}", "position": k, "pid": passage.id, "data": data,
                         "sparse": weights[k], "dense": (mean / max(float(np.linalg.norm(mean)), 1e-12)).tolist()})
        self._insert("passages", rows)
        self._insert("sentences", [
            {**base, "key": f"{name}/{k}", "position": k, "dense": v.tolist(),
             "data": json.dumps({"text": s.text, "start": s.start, "end": s.end, "owners": owners[k]},
                                ensure_ascii=False)}
            for k, (s, v) in enumerate(zip(sentences, segment.vectors, strict=True))])
        blobs = {"document": document_to_json(segment.document), "aliases": segment.aliases.to_json(),
                 "terms": list(document_frequencies(segment.tokens).items()),
                 "runs": sorted(character_runs(p.text for p in segment.passages)),
                 "tables": table_rows(segment.passages, segment.document)}
        texts = {b: json.dumps(value, ensure_ascii=False) for b, value in blobs.items()}
        self._insert("blobs", [{**base, "key": f"{name}/{b}/{k}", "name": b, "part": k,
                                "data": text[at: at + BLOB_CHARS], "none": [0.0, 0.0]}
                               for b, text in texts.items() for k, at in enumerate(range(0, len(text) or 1, BLOB_CHARS))])
        if segment.source is not None:
            self._insert("blobs", [{**base, "key": f"{name}/source/{k}", "name": "source", "part": k,
                                    "data": base64.b64encode(segment.source[at: at + SOURCE_BYTES]).decode("ascii"),
                                    "none": [0.0, 0.0]}
                                   for k, at in enumerate(range(0, len(segment.source), SOURCE_BYTES))], SOURCE_PAGE)
        for part in ("passages", "sentences", "blobs"):
            self.client.flush(self.name[part])
        return {}

    def _insert(self, part: str, rows: list[dict[str, Any]], page: int = PAGE) -> None:
        for at in range(0, len(rows), page):
            self.client.insert(self.name[part], rows[at: at + page])

    def publish(self, manifest: Manifest, changed: Collection[str], removed: Collection[str]) -> None:
        """The ``~meta`` row, then each changed report's row (it goes live), then
        removed reports' rows; then the entities of those reports' other segments go."""
        meta = {"milvus_schema": MILVUS_SCHEMA, "schema_version": manifest.schema_version,
                "build_id": manifest.build_id, "created_at": manifest.created_at,
                "embedding": {"model": manifest.embedding.model, "dim": manifest.embedding.dim},
                "chunking": manifest.chunking, "hnsw_threshold": manifest.hnsw_threshold,
                "build_seconds": manifest.build_seconds}
        rows = [{"key": META, "doc_id": META, "data": json.dumps(meta), "none": [0.0, 0.0]}]
        for doc_id in changed:
            info = manifest.documents[doc_id]
            rows.append({"key": doc_id, "doc_id": doc_id, "data": json.dumps(dataclasses.asdict(info), ensure_ascii=False),
                         "none": [0.0, 0.0]})
        self.client.upsert(self.name["documents"], rows)
        if removed:
            self.client.delete(self.name["documents"], filter=f"doc_id in {_quoted(removed)}")
        self.client.flush(self.name["documents"])
        for doc_id in {*changed, *removed}:
            live = manifest.documents.get(doc_id)
            keep = f' and segment != "{live.segment}"' if live is not None else ""
            for part in ("passages", "sentences", "blobs"):
                self.client.delete(self.name[part], filter=f'doc_id == "{doc_id}"{keep}')


class MilvusHoldings:
    """The passages, sentences and documents of the live reports of a
    manifest, read from Milvus by primary key when asked for and kept in
    bounded caches (see :class:`~reportqa.index.store.Holdings`).

    Args:
        store: the Milvus store.
        manifest: the live reports (their order gives the positions).
        passages, sentences, documents: how many of each the caches keep.
    """

    def __init__(self, store: MilvusStore, manifest: Manifest, passages: int = CACHED_PASSAGES,
                 sentences: int = CACHED_SENTENCES, documents: int = CACHED_DOCUMENTS) -> None:
        self.store = store
        infos = list(manifest.documents.values())
        self.doc_ids = list(manifest.documents)
        self.segments = [info.segment for info in infos]
        self.first = np.cumsum([0] + [info.passages for info in infos])[:-1].tolist()
        self.first_sentence = np.cumsum([0] + [info.sentences for info in infos])[:-1].tolist()
        self.at = {seg: k for k, seg in enumerate(self.segments)}
        self.passage_count = manifest.passages
        self.sentence_count = manifest.sentences
        self.dim = manifest.embedding.dim
        self.sha256 = [info.sha256 for info in infos]
        self.live = f"segment in {_quoted(self.segments)}"
        self._passages: Lru[int, tuple[Passage, list[int], np.ndarray]] = Lru(passages)
        self._sentences: Lru[int, tuple[Sentence, np.ndarray, list[int]]] = Lru(sentences)
        self._ids: Lru[str, int] = Lru(passages)
        self._documents: Lru[str, Document] = Lru(documents)
        self._tables: Lru[str, list[tuple[Table, list[int]]]] = Lru(documents)
        self.read = {"passages": 0, "sentences": 0, "documents": 0}  # entities read from Milvus

    def _key(self, at: int, first: list[int]) -> str:
        k = bisect_right(first, at) - 1
        return f"{self.segments[k]}/{at - first[k]}"

    def _get(self, part: str, keys: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for at in range(0, len(keys), PAGE):
                out += self.store.client.get(self.store.name[part], ids=keys[at: at + PAGE],
                                             output_fields=["segment", "position", "data", "dense"])
        except Exception as exc:
            raise IndexLoadError(f"cannot read the index in Milvus at {self.store.uri} ({_message(exc)})") from None
        self.read[part] += len(out)
        return out

    def _passage(self, row: dict[str, Any]) -> tuple[int, tuple[Passage, list[int], np.ndarray]]:
        k = self.at[row["segment"]]
        data = json.loads(row["data"])
        entry = (passage_from_dict(data["passage"]), [self.first_sentence[k] + i for i in data["members"]],
                 np.asarray(row["dense"], dtype=np.float32))
        position = self.first[k] + row["position"]
        self._passages.put(position, entry)
        self._ids.put(entry[0].id, position)
        return position, entry

    def _passage_entries(self, positions: Sequence[int]) -> list[tuple[Passage, list[int], np.ndarray]]:
        found = {p: e for p in positions if (e := self._passages.get(p)) is not None}
        missing = sorted({p for p in positions if p not in found})
        if missing:
            found.update(self._passage(r) for r in self._get("passages", [self._key(p, self.first) for p in missing]))
        if len(found) < len(set(positions)):
            raise IndexLoadError(f"index in Milvus at {self.store.uri} is inconsistent: run `reportqa index`")
        return [found[p] for p in positions]

    def _sentence_entries(self, ids: Sequence[int]) -> list[tuple[Sentence, np.ndarray, list[int]]]:
        found = {s: e for s in ids if (e := self._sentences.get(s)) is not None}
        missing = sorted({s for s in ids if s not in found})
        for row in self._get("sentences", [self._key(s, self.first_sentence) for s in missing]) if missing else []:
            k = self.at[row["segment"]]
            data = json.loads(row["data"])
            entry = (Sentence(data["text"], data["start"], data["end"]), np.asarray(row["dense"], dtype=np.float32),
                     [self.first[k] + o for o in data["owners"]])
            found[self.first_sentence[k] + row["position"]] = entry
            self._sentences.put(self.first_sentence[k] + row["position"], entry)
        if len(found) < len(set(ids)):
            raise IndexLoadError(f"index in Milvus at {self.store.uri} is inconsistent: run `reportqa index`")
        return [found[s] for s in ids]

    def passages(self, positions: Sequence[int]) -> list[Passage]:
        """See :class:`~reportqa.index.store.Holdings`."""
        return [e[0] for e in self._passage_entries(positions)]

    def members(self, positions: Sequence[int]) -> list[list[int]]:
        """See :class:`~reportqa.index.store.Holdings`."""
        return [e[1] for e in self._passage_entries(positions)]

    def passage_vectors(self, positions: Sequence[int]) -> np.ndarray:
        """See :class:`~reportqa.index.store.Holdings`."""
        return _stack([e[2] for e in self._passage_entries(positions)], self.dim)

    def sentences(self, ids: Sequence[int]) -> list[Sentence]:
        """See :class:`~reportqa.index.store.Holdings`."""
        return [e[0] for e in self._sentence_entries(ids)]

    def sentence_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """See :class:`~reportqa.index.store.Holdings`."""
        return _stack([e[1] for e in self._sentence_entries(ids)], self.dim)

    def owners(self, ids: Sequence[int]) -> list[list[int]]:
        """See :class:`~reportqa.index.store.Holdings`."""
        return [e[2] for e in self._sentence_entries(ids)]

    def position(self, passage_id: str) -> int | None:
        """See :class:`~reportqa.index.store.Holdings`."""
        at = self._ids.get(passage_id)
        if at is not None:
            return at
        try:
            rows = self.store.client.query(self.store.name["passages"], filter=f"pid == {json.dumps(passage_id)} "
                                           f"and {self.live}", output_fields=["segment", "position", "data", "dense"],
                                           limit=1)
        except Exception as exc:
            raise IndexLoadError(f"cannot read the index in Milvus at {self.store.uri} ({_message(exc)})") from None
        self.read["passages"] += len(rows)
        return self._passage(rows[0])[0] if rows else None

    def document(self, doc_id: str) -> Document:
        """See :class:`~reportqa.index.store.Holdings`."""
        found = self._documents.get(doc_id)
        if found is None:
            segment = self.segments[self.doc_ids.index(doc_id)]
            try:
                found = document_from_json(self.store.blobs("document", [segment])[segment])
            except (ValueError, KeyError, TypeError):
                raise IndexLoadError(f"index in Milvus at {self.store.uri} is inconsistent ({segment}): "
                                     "run `reportqa index`") from None
            self.read["documents"] += 1
            self._documents.put(doc_id, found)
        return found

    def tables(self, doc_id: str) -> list[tuple[Table, list[int]]]:
        """See :class:`~reportqa.index.store.Holdings`."""
        found = self._tables.get(doc_id)
        if found is None:
            k = self.doc_ids.index(doc_id)
            rows = self.store.blobs("tables", [self.segments[k]])[self.segments[k]]
            found = [(t, [self.first[k] + r for r in places])
                     for t, places in zip(self.document(doc_id).tables, rows, strict=True)]
            self._tables.put(doc_id, found)
        return found

    def source(self, doc_id: str) -> bytes | None:
        """See :class:`~reportqa.index.store.Holdings`: read from Milvus each time
        (page images are cached as PNG files by whoever renders them)."""
        k = self.doc_ids.index(doc_id)
        data = self.store.source(self.segments[k])
        if data is not None and hashlib.sha256(data).hexdigest() != self.sha256[k]:
            raise IndexLoadError(f"index in Milvus at {self.store.uri} is inconsistent (the PDF of {doc_id!r}): "
                                 "run `reportqa index`")
        return data

    def cached(self) -> dict[str, int]:
        """How many passages, sentences and documents the caches hold now."""
        return {"passages": len(self._passages), "sentences": len(self._sentences), "documents": len(self._documents)}


def _stack(rows: list[np.ndarray], dim: int | None) -> np.ndarray:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim or 0), np.float32)


class MilvusSearch:
    """Dense and BM25 search in Milvus over the live segments of an index."""

    kind = "milvus"

    def __init__(self, store: MilvusStore, holdings: MilvusHoldings, terms: TermStats) -> None:
        self.store = store
        self.holdings = holdings
        self.by_doc = dict(zip(holdings.doc_ids, holdings.segments, strict=True))  # doc_id -> segment
        self.live = holdings.live
        self.first = dict(zip(holdings.segments, holdings.first, strict=True))  # segment -> its first position
        self.vocab, self.idf = terms.vocab, terms.idf  # the query side of BM25

    def _search(self, part: str, data: list[Any], field: str, depth: int, filter: str, output: list[str],
                params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            hits = self.store.client.search(self.store.name[part], data=data, anns_field=field, limit=depth,
                                            filter=filter, output_fields=output, search_params=params or {})
        except Exception as exc:
            raise IndexLoadError(f"Milvus search failed at {self.store.uri} ({_message(exc)})") from None
        return list(hits[0]) if hits else []

    def dense(self, vector: np.ndarray, depth: int) -> list[int]:
        """See :class:`~reportqa.index.store.Search`."""
        if not self.by_doc or depth < 1:
            return []
        data = [vector.astype(np.float32).tolist()]
        cands = {self.first[h["entity"]["segment"]] + h["entity"]["position"]
                 for h in self._search("passages", data, "dense", depth, self.live, ["segment", "position"])}
        for h in self._search("sentences", data, "dense", depth * 2, self.live, ["segment", "data"]):
            first = self.first[h["entity"]["segment"]]
            cands.update(first + o for o in json.loads(h["entity"]["data"])["owners"])
        return sorted(cands)

    def lexical(self, tokens: list[str], depth: int, doc_ids: Collection[str] | None) -> list[tuple[int, float]]:
        """See :class:`~reportqa.index.store.Search`: the query's terms weighted by
        their idf (once per occurrence), against the passages' BM25 weights."""
        query: dict[int, float] = {}
        for token in tokens:
            k = self.vocab.get(token)
            if k is not None:
                key = term_key(token)
                query[key] = query.get(key, 0.0) + float(self.idf[k])
        scope = self.live if doc_ids is None else f"segment in {_quoted([self.by_doc[d] for d in doc_ids])}"
        if not query or not self.by_doc or depth < 1:
            return []
        hits = self._search("passages", [query], "sparse", depth, scope, ["segment", "position"], {"metric_type": "IP"})
        return [(self.first[h["entity"]["segment"]] + h["entity"]["position"], float(h["distance"]))
                for h in hits if h["distance"] > 0]

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """See :class:`~reportqa.index.store.Search`."""
        if not ids:
            return []
        rows = self.store.client.query(self.store.name["passages"], filter=f"pid in {_quoted(ids)} and {self.live}",
                                       output_fields=["pid", "data"], limit=len(ids))
        found = {r["pid"]: passage_from_dict(json.loads(r["data"])["passage"]) for r in rows}
        return [found[i] for i in ids if i in found]


def _message(exc: Exception) -> str:
    """The first line of a Milvus error, without its code prefix."""
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
