"""``reportqa bench --store faiss|milvus``: the two stores side by side at N reports.

For one store and N report-like documents this measures the build, adding one
more report, loading the index into a serving process (seconds and the
process's resident memory growth), search and ask latency (p50, p99) and the
size on disk. With ``fake_embedder`` the model is replaced by the hash
embedder and the N documents are copies of the parsed report (their ids
changed, their vectors jittered), so the figures are the store's alone and N
can reach 1,000. Milvus runs as ``milvus-lite server`` on loopback, the shape
of a deployment (a Milvus Lite data folder is one process's at a time); its
own memory is reported apart from the serving process's.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.evaluation.metrics import percentile
from reportqa.evaluation.runner import load_questions
from reportqa.settings import Settings


@dataclass(frozen=True)
class StoreFigures:
    """What one store run measured."""

    store: str
    docs: int
    fake_embedder: bool
    passages: int
    sentences: int
    build_s: float
    add_one_s: float
    load_s: float
    serving_rss_growth_mb: float  # resident memory the loaded index adds to a serving process
    serving_rss_after_asks_mb: float | None  # the same after every question was asked (caches filled)
    milvus_rss_mb: float | None  # the Milvus Lite server's own
    disk_mb: float
    search_p50_ms: dict[str, float]
    search_p99_ms: dict[str, float]
    ask_p50_ms: float
    ask_p99_ms: float

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON."""
        return asdict(self)


def _rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _size_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


@contextlib.contextmanager
def lite_server(folder: Path) -> Iterator[tuple[str, int]]:
    """``milvus-lite server`` on a free loopback port; its URI and pid."""
    from pymilvus import MilvusClient

    from reportqa.bench.runner import _free_port

    port = _free_port()
    binary = Path(sys.executable).parent / "milvus-lite"
    proc = subprocess.Popen([str(binary), "server", "--data-dir", str(folder), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                MilvusClient(uri, timeout=2).list_collections()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        yield uri, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _copies(settings: Settings, docs: int, embedder: Any) -> tuple[list[Any], Any]:
    """``docs + 1`` ready segments (the last for the add): copies of the parsed report."""
    from reportqa.index.store import IndexBuilder, NewDocument
    from reportqa.segment import Tokenizer
    from reportqa.service import chunking_config, prepare, read_corpus

    source = read_corpus(settings)[0]
    new = prepare(settings, source)
    builder = IndexBuilder(embedder, Tokenizer(), chunking_config(settings), "bench")
    segment, _ = builder.segment(new)
    rng = np.random.default_rng(7)
    out = []
    for d in range(docs + 1):
        doc_id = f"r{d:04d}"
        passages = [replace(p, doc_id=doc_id, id=f"{p.id}-{d}") for p in segment.passages]
        vectors = segment.vectors + rng.normal(0, 0.02, segment.vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        doc = NewDocument(replace(source, doc_id=doc_id, path=f"{doc_id}.txt", sha256=f"{d:064d}"),
                          replace(new.document, doc_id=doc_id), passages, doc_id)
        out.append((doc, replace(segment, passages=passages, vectors=vectors,
                                 document=replace(segment.document, doc_id=doc_id))))
    return out, builder


def _write(store: Any, builder: Any, items: list[Any]) -> None:
    """Write ready segments as the builder would (each report live as soon as whole in Milvus)."""
    from reportqa.index.manifest import DocumentInfo

    documents = dict(store.manifest().documents) if items and _has_index(store) else {}
    with store.lock():
        for new, segment in items:
            name = f"{new.source.doc_id}-{time.time_ns() % 10**10}"
            checksums = store.write_segment(name, new.source.doc_id, lambda segment=segment: segment)
            documents[new.source.doc_id] = DocumentInfo(
                path=new.source.path, sha256=new.source.sha256, title=new.title, pages=len(new.document.pages),
                passages=len(segment.passages), sentences=len(segment.vectors), added_at="bench", segment=name,
                checksums=checksums)
            if store.publishes_each:
                store.publish(builder._manifest(documents, 0.0), [new.source.doc_id], ())
        store.publish(builder._manifest(documents, 0.0), [n.source.doc_id for n, _ in items], ())


def _has_index(store: Any) -> bool:
    from reportqa.index.manifest import IndexLoadError

    try:
        store.manifest()
    except IndexLoadError:
        return False
    return True


def _build_copies(settings: Settings, conf: Settings, docs: int,
                  embedder: Any) -> tuple[float, float, dict[str, str], str]:
    """Write ``docs`` copies of the report of ``settings`` into the store of
    ``conf``, then one more: the two times, the index's documents and its model id."""
    from reportqa.service import open_store

    items, builder = _copies(settings, docs, embedder)
    store = open_store(conf, embedder.dim)
    began = time.perf_counter()
    _write(store, builder, items[:-1])
    build_s = time.perf_counter() - began
    began = time.perf_counter()
    _write(store, builder, items[-1:])
    return build_s, time.perf_counter() - began, {n.source.doc_id: n.source.sha256 for n, _ in items}, "bench"


def _build_reports(settings: Settings, conf: Settings, docs: int, embedder: Any,
                   work: Path) -> tuple[float, float, dict[str, str], str]:
    """Build ``docs`` synthetic reports with the model, then add one more (as :func:`_build_copies`)."""
    from reportqa.bench.runner import synthetic_corpus
    from reportqa.index.embedder import embedder_id
    from reportqa.segment import Tokenizer
    from reportqa.service import add_reports, build_index, open_store, read_corpus

    paths = synthetic_corpus(read_corpus(settings)[0].text, docs + 1, work / "all")
    conf.corpus_dir.mkdir(parents=True)
    for p in paths[:-1]:
        shutil.copyfile(p, conf.corpus_dir / p.name)
    build_s = build_index(conf, embedder, Tokenizer()).seconds
    began = time.perf_counter()
    add_reports(conf, embedder, Tokenizer(), [paths[-1]])
    add_s = time.perf_counter() - began
    documents = {k: v.sha256 for k, v in open_store(conf, embedder.dim).manifest().documents.items()}
    return build_s, add_s, documents, embedder_id(conf)


def _latencies(retriever: Any, answerer: Any, questions: list[str]) -> tuple[dict[str, list[float]], list[float]]:
    """Search (each mode) and ask times of every question, in ms."""
    search: dict[str, list[float]] = {"hybrid": [], "dense": [], "bm25": []}
    asks = []
    for q in questions:
        for mode, times in search.items():
            t = time.perf_counter()
            retriever.search(q, 5, mode)
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        answerer.answer(q)
        asks.append((time.perf_counter() - t) * 1000)
    return search, asks


def run_store_bench(settings: Settings, store_kind: str, docs: int, questions_path: Path,
                    fake_embedder: bool, max_questions: int = 0) -> StoreFigures:
    """Measure one store at ``docs`` reports (see the module docstring)."""
    from reportqa.index.embedder import HashEmbedder, build_embedder
    from reportqa.index.store import IndexIdentity, load_index
    from reportqa.retrieval import Retriever
    from reportqa.segment import Tokenizer
    from reportqa.service import build_answerer, chunking_config, open_store

    questions = [q.question for q in load_questions(questions_path)][: max_questions or None]
    work = Path(tempfile.mkdtemp(prefix="reportqa-stores-"))
    try:
        with contextlib.ExitStack() as stack:
            conf = settings.model_copy(update={"index_dir": work / "index", "store": store_kind,
                                               "corpus_dir": work / "corpus"})
            server_pid = None
            if store_kind == "milvus":
                uri, server_pid = stack.enter_context(lite_server(work / "milvus"))
                conf = conf.model_copy(update={"milvus_uri": uri})
            embedder = HashEmbedder() if fake_embedder else build_embedder(conf)
            build_s, add_s, documents, model = (_build_copies(settings, conf, docs, embedder) if fake_embedder
                                                else _build_reports(settings, conf, docs, embedder, work))
            before = _rss_mb()
            began = time.perf_counter()
            index = load_index(open_store(conf, embedder.dim),
                               IndexIdentity(model, embedder.dim, chunking_config(conf), documents))
            retriever = Retriever(index, embedder, Tokenizer())
            load_s, growth = time.perf_counter() - began, _rss_mb() - before
            search, asks = _latencies(retriever, build_answerer(conf, retriever), questions)
            after_asks = _rss_mb() - before
            disk = _size_mb(work / ("milvus" if store_kind == "milvus" else "index"))
            milvus_rss = _rss_mb(server_pid) if server_pid else None
        return StoreFigures(
            store=store_kind, docs=docs, fake_embedder=fake_embedder, passages=index.manifest.passages,
            sentences=index.manifest.sentences, build_s=round(build_s, 2), add_one_s=round(add_s, 2),
            load_s=round(load_s, 2), serving_rss_growth_mb=round(growth, 1),
            serving_rss_after_asks_mb=round(after_asks, 1), milvus_rss_mb=milvus_rss,
            disk_mb=disk, search_p50_ms={m: round(percentile(v, 50), 2) for m, v in search.items()},
            search_p99_ms={m: round(percentile(v, 99), 2) for m, v in search.items()},
            ask_p50_ms=round(percentile(asks, 50), 2), ask_p99_ms=round(percentile(asks, 99), 2),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
