"""The Milvus store beyond the shared suite: reports go live whole, the
format is checked, shard builds into one Milvus equal a full build, and two
servers on one Milvus answer alike.

A Milvus Lite data folder is opened by one process at a time, so the tests
that need several processes run ``milvus-lite server`` (the gRPC server the
package ships) on loopback and point every process at it by URI, as
processes would a Milvus cluster.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import CORPUS_FILE, DOC_ID, QUERIES, copy_corpus, free_port, running_server
from reportqa.answer import Answer
from reportqa.api.app import create_app
from reportqa.bench.runner import synthetic_corpus
from reportqa.bench.stores import lite_server as bench_lite_server
from reportqa.index import HashEmbedder
from reportqa.index.milvus import META, SOURCE_BYTES, MilvusHoldings, MilvusSearch, MilvusStore
from reportqa.index.store import (
    IndexIdentity,
    IndexLoadError,
    IndexStaleError,
    character_runs,
    document_identity,
    load_index,
)
from reportqa.ingest import CorpusError
from reportqa.retrieval import Retriever
from reportqa.segment import Tokenizer
from reportqa.service import (
    Components,
    NoCorpusError,
    _builder,
    add_reports,
    build_answerer,
    build_index,
    chunking_config,
    load_components,
    open_store,
    prepare,
    read_corpus,
    remove_report,
)
from reportqa.settings import Settings

BIN = Path(sys.executable).parent


def milvus_settings(base: Path, uri: str | None = None) -> Settings:
    """Hash-embedder settings over a corpus of three synthetic reports, Milvus store."""
    corpus = base / "corpus"
    if not corpus.is_dir():
        synthetic_corpus(CORPUS_FILE.read_text("utf-8"), 3, corpus)
    return Settings(corpus_dir=corpus, index_dir=base / "index", embedding_backend="hash", store="milvus",
                    milvus_uri=uri or str(base / "milvus.db"))


def contents(components: Components) -> dict[str, tuple[list[tuple[str, str]], np.ndarray]]:
    """Each report's passages (id, text) and sentence vectors, as loaded."""
    out = {}
    for doc_id, (a, b) in components.index.ranges.items():
        passages = components.index.passages[a:b]
        held = components.index.holdings
        sentences = sorted({s for ms in held.members(range(a, b)) for s in ms})
        out[doc_id] = ([(p.id, p.text) for p in passages], held.sentence_vectors(sentences))
    return out


@pytest.fixture
def lite_server(tmp_path: Path) -> Iterator[str]:
    """``milvus-lite server`` on a free loopback port (the bench's); its URI."""
    with bench_lite_server(tmp_path / "lite") as (uri, _):
        yield uri


def test_a_report_goes_live_only_when_whole(tmp_path: Path) -> None:
    settings = milvus_settings(tmp_path)
    sources = read_corpus(settings)
    builder = _builder(settings, HashEmbedder(), Tokenizer())
    store = open_store(settings, HashEmbedder().dim)
    builder.update(store, [prepare(settings, s) for s in sources[:2]])
    # a build killed after writing the third report's entities, before its row went live
    third = prepare(settings, sources[2])
    segment, _ = builder.segment(third)
    store.write_segment(f"{third.source.doc_id}-killed", third.source.doc_id, lambda: segment)
    assert isinstance(store, MilvusStore)
    name = store.name["passages"]
    killed = f'segment == "{third.source.doc_id}-killed"'
    assert len(store.client.query(name, filter=killed, output_fields=["key"], limit=1000)) == len(third.passages)
    assert sorted(store.manifest().documents) == sorted(s.doc_id for s in sources[:2])
    identity = IndexIdentity(builder.model_id, HashEmbedder().dim, chunking_config(settings),
                             document_identity(sources[:2]))
    index = load_index(store, identity)
    every = [p.id for p in index.search.fetch([p.id for p in third.passages])]
    assert every == []  # not live: not fetched, and never a search hit
    hits = index.search.lexical(Tokenizer().tokenize(third.passages[5].text), 50, None)
    assert {index.passages[k].doc_id for k, _ in hits} <= {s.doc_id for s in sources[:2]}
    # the next change of that report makes it live and deletes the killed entities
    builder.update(store, [third])
    assert store.client.query(name, filter=killed, output_fields=["key"], limit=10) == []
    assert sorted(store.manifest().documents) == sorted(s.doc_id for s in sources)


def test_an_index_of_another_format_is_stale_and_rebuilt(tmp_path: Path) -> None:
    settings = milvus_settings(tmp_path)
    build_index(settings, HashEmbedder(), Tokenizer())
    store = open_store(settings, HashEmbedder().dim)
    assert isinstance(store, MilvusStore)
    row = store.client.query(store.name["documents"], filter=f'doc_id == "{META}"', output_fields=["*"])[0]
    meta = json.loads(row["data"])
    store.client.upsert(store.name["documents"], [{**row, "data": json.dumps({**meta, "milvus_schema": 0})}])
    with pytest.raises(IndexStaleError, match=r"index format changed"):
        open_store(settings).manifest()
    build_index(settings, HashEmbedder(), Tokenizer())  # drops the collections of the other format
    assert sorted(open_store(settings).manifest().documents) == sorted(s.doc_id for s in read_corpus(settings))


def test_a_bad_milvus_uri_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "REPORTQA_STORE": "milvus", "REPORTQA_MILVUS_URI": str(tmp_path / "milvus.txt")}
    done = subprocess.run([str(BIN / "reportqa"), "documents"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"reportqa: error: REPORTQA_MILVUS_URI '{tmp_path / 'milvus.txt'}': use a path ending .db "
        "(Milvus Lite) or http://host:port (a Milvus server)"]


def shard_env(settings: Settings, uri: str) -> dict[str, str]:
    return {**os.environ, "REPORTQA_CORPUS_DIR": str(settings.corpus_dir), "REPORTQA_EMBEDDING_BACKEND": "hash",
            "REPORTQA_STORE": "milvus", "REPORTQA_MILVUS_URI": uri, "REPORTQA_INDEX_DIR": str(settings.index_dir)}


@pytest.mark.slow
def test_two_shards_into_one_milvus_build_what_one_full_build_does(tmp_path: Path, lite_server: str) -> None:
    settings = milvus_settings(tmp_path, lite_server)
    env = shard_env(settings, lite_server)
    shards = [subprocess.Popen([str(BIN / "reportqa"), "index", "--shard", f"{i}/2"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in (1, 2)]
    outs = [p.communicate(timeout=300) for p in shards]
    assert [p.returncode for p in shards] == [0, 0], [err[-500:] for _, err in outs]
    sources = read_corpus(settings)
    # shard 1 of 2 takes the first and third report in doc-id order, shard 2 the second
    assert [out.split(" passages")[0] for out, _ in outs] == [
        f"indexed {len(prepare(settings, sources[0]).passages) + len(prepare(settings, sources[2]).passages)}",
        f"indexed {len(prepare(settings, sources[1]).passages)}"]
    sharded = load_components(settings, embedder=HashEmbedder())
    full = settings.model_copy(update={"milvus_uri": str(tmp_path / "full.db")})
    build_index(full, HashEmbedder(), Tokenizer())
    whole = load_components(full, embedder=HashEmbedder())
    a, b = contents(sharded), contents(whole)
    assert sorted(a) == sorted(b) == sorted(s.doc_id for s in sources)
    for doc_id in a:
        assert a[doc_id][0] == b[doc_id][0]
        np.testing.assert_array_equal(a[doc_id][1], b[doc_id][1])
    # a shard run again finds its reports current and embeds nothing
    again = subprocess.run([str(BIN / "reportqa"), "index", "--shard", "2/2"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.stdout.startswith("indexed 0 passages (0 sentences)"), again.stderr[-500:]


@pytest.mark.slow
def test_two_servers_on_one_milvus_answer_alike(tmp_path: Path, lite_server: str) -> None:
    settings = milvus_settings(tmp_path, lite_server)
    build_index(settings, HashEmbedder(), Tokenizer())
    questions = ["四川省2022年可数字化交付服务出口额是多少？", "数字贸易的定义是什么", "合肥国际人才服务体系"]
    replies = []
    empty = tmp_path / "no-corpus"
    empty.mkdir()
    for k in range(2):
        # the second is a replica started as users start it, with no corpus at all
        env = shard_env(settings, lite_server)
        port = free_port()
        command = None if k == 0 else [str(BIN / "reportqa"), "serve", "--port", str(port)]
        if k == 1:
            env["REPORTQA_CORPUS_DIR"] = str(empty)
        with running_server(env, tmp_path / f"server{k}.log", command=command, port=port) as url:
            health = httpx.get(f"{url}/health", timeout=30).json()
            assert (health["store"], health["documents"]) == ("milvus", sorted(s.doc_id for s in read_corpus(settings)))
            answers = [httpx.post(f"{url}/ask", json={"question": q}, timeout=60).json() for q in questions]
            replies.append([{k: v for k, v in a.items() if k != "timings_ms"} for a in answers])
    assert replies[0] == replies[1]
    assert [len(r["citations"]) > 0 or r["abstained"] for r in replies[0]] == [True, True, True]
    assert f"reportqa: serving the reports live in Milvus on http://127.0.0.1:{port}/" in \
        (tmp_path / "server1.log").read_text()


# -- stateless serving ----------------------------------------------------------------------

def said(answer: Answer) -> tuple[str, bool, tuple[str, ...], float, str | None]:
    """What an answer says and cites (its timings aside)."""
    return (answer.text, answer.abstained, tuple(c.passage.id for c in answer.citations), answer.support,
            answer.abstain_reason)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Components:
    """Three reports built into Milvus Lite and loaded as ``reportqa serve`` would."""
    settings = milvus_settings(tmp_path_factory.mktemp("served"))
    build_index(settings, HashEmbedder(), Tokenizer())
    return load_components(settings, embedder=HashEmbedder())


def test_a_milvus_serving_process_reads_only_what_a_question_touches(served: Components) -> None:
    held = served.index.holdings
    assert isinstance(held, MilvusHoldings)
    # loading (and warming up) read no passage, sentence or document: only term counts and aliases
    assert held.read == {"passages": 0, "sentences": 0, "documents": 0}
    assert held.cached() == {"passages": 0, "sentences": 0, "documents": 0}
    first = served.answerer.answer(QUERIES[5])  # a table question: it reads its tables' documents too
    read = dict(held.read)
    assert 0 < read["passages"] < served.index.manifest.passages
    assert read["passages"] == held.cached()["passages"]  # no passage read twice
    _, hits = served.answerer.retrieve(served.answerer.analyze(QUERIES[5]))  # from the caches
    tabled = {h.passage.doc_id for h in hits if h.passage.kind in ("table", "table_row")}
    assert read["documents"] == len(tabled) == 3  # each report whose table rows were retrieved, once
    again = served.answerer.answer(QUERIES[5])
    assert said(again) == said(first)
    assert held.read == read  # the same question again is served from the caches alone


def test_the_runs_of_characters_of_every_report_are_stored_and_merged(served: Components) -> None:
    # each report's runs are a blob written with it; loading merges them, reading no passage
    settings = served.settings
    texts = [p.text for source in read_corpus(settings) for p in prepare(settings, source).passages]
    assert served.index.terms.runs == character_runs(texts)
    assert served.answerer.analyzer.runs is served.index.terms.runs


def test_bounded_caches_give_the_same_answers(served: Components) -> None:
    store = served.index.holdings.store  # type: ignore[attr-defined]
    small = MilvusHoldings(store, served.index.manifest, passages=16, sentences=48, documents=1)
    index = replace(served.index, holdings=small, search=MilvusSearch(store, small, served.index.terms))
    answerer = build_answerer(served.settings, Retriever(index, served.embedder, served.tokenizer))
    for question in QUERIES:
        assert said(answerer.answer(question)) == said(served.answerer.answer(question)), question
        cached = small.cached()
        assert cached["passages"] <= 16 and cached["sentences"] <= 48 and cached["documents"] <= 1


# -- a replica without the corpus --------------------------------------------------------------

REPLICA_QUESTIONS = ["2022年中国可数字化交付服务进出口额是多少？", QUERIES[1], QUERIES[5], "数字贸易的定义是什么",
                     "合肥国际人才服务体系"]


def test_a_replica_without_the_corpus_answers_as_one_with_it(
        hash_milvus: tuple[Settings, Components], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # no abstention threshold: the hash embedder's answers would all abstain at the fitted one
    settings = hash_milvus[0].model_copy(update={"abstain_threshold": 0.0})
    with caplog.at_level(logging.INFO, logger="reportqa"):
        with_corpus = load_components(settings, embedder=HashEmbedder())
    assert [r.getMessage() for r in caplog.records if r.name == "reportqa"] == [
        f"checking the index in {settings.milvus_uri} against the 1 reports in {settings.corpus_dir}"]
    expected = [said(with_corpus.answerer.answer(q)) for q in REPLICA_QUESTIONS]
    assert [(abstained, len(cited)) for _, abstained, cited, _, _ in expected] == [(False, 1)] * 5
    (tmp_path / "empty").mkdir()
    for corpus in (tmp_path / "empty", tmp_path / "missing"):
        replica = settings.model_copy(update={"corpus_dir": corpus, "index_dir": tmp_path / "index"})
        with caplog.at_level(logging.INFO, logger="reportqa"):
            caplog.clear()
            served = load_components(replica, build_if_needed=True, embedder=HashEmbedder())
        assert [r.getMessage() for r in caplog.records if r.name == "reportqa"] == [
            f"no reports in {corpus}: serving the 1 reports live in {settings.milvus_uri} as they are "
            "(no corpus to check them against)"]
        assert (served.sources, list(served.index.manifest.documents)) == ([], [DOC_ID])
        assert served.index.manifest == with_corpus.index.manifest
        assert [said(served.answerer.answer(q)) for q in REPLICA_QUESTIONS] == expected
    assert not (tmp_path / "missing").exists()  # nothing was built, nor a corpus folder made


def test_a_replica_checks_nothing_builds_nothing_and_changes_nothing(
        hash_milvus: tuple[Settings, Components], tmp_path: Path) -> None:
    settings, _ = hash_milvus
    empty = settings.model_copy(update={"corpus_dir": tmp_path / "missing", "milvus_uri": str(tmp_path / "m.db")})
    with pytest.raises(IndexLoadError) as missing:
        load_components(empty, build_if_needed=True, embedder=HashEmbedder())
    assert str(missing.value) == (f"index not found in Milvus at {tmp_path / 'm.db'}: run `reportqa index`; "
                                  f"{tmp_path / 'missing'} holds no reports to build it from")
    # a change asked of a replica is refused: "catching up" with an empty corpus would drop every report
    replica = settings.model_copy(update={"corpus_dir": tmp_path / "missing"})
    refused = (f"{tmp_path / 'missing'} holds none of the 1 reports live in {settings.milvus_uri}: add or "
               "remove reports where the corpus is (without one, this process only serves)")
    with pytest.raises(NoCorpusError) as added:
        add_reports(replica, HashEmbedder(), Tokenizer(), [CORPUS_FILE])
    with pytest.raises(NoCorpusError) as removed:
        remove_report(replica, HashEmbedder(), Tokenizer(), DOC_ID)
    assert str(added.value) == str(removed.value) == refused
    assert list(open_store(settings).manifest().documents) == [DOC_ID]
    assert not (tmp_path / "missing").exists()
    # the file store keeps needing its corpus
    files = Settings(corpus_dir=tmp_path / "empty-too", index_dir=settings.index_dir, embedding_backend="hash")
    (tmp_path / "empty-too").mkdir()
    with pytest.raises(CorpusError, match=r"no \*\.txt or \*\.pdf corpus files in folder"):
        load_components(files, embedder=HashEmbedder())


@pytest.fixture(scope="module")
def pdf_milvus(report_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled report as text and as a PDF, built into Milvus Lite with the
    hash embedder (the module's last test removes the PDF report)."""
    base = tmp_path_factory.mktemp("pdf-milvus")
    corpus = copy_corpus(base / "corpus")
    (corpus / report_pdf.name).write_bytes(report_pdf.read_bytes())
    settings = Settings(corpus_dir=corpus, index_dir=base / "index", embedding_backend="hash", store="milvus",
                        milvus_uri=str(base / "milvus.db"))
    build_index(settings, HashEmbedder(), Tokenizer())
    return settings


def get(components: Components, path: str) -> httpx.Response:
    """One GET to the app serving ``components``."""
    with TestClient(create_app(components.settings, components=components)) as client:
        return client.get(path)


@pytest.mark.slow
def test_a_replica_serves_page_images_from_the_store(pdf_milvus: Settings, report_pdf: Path,
                                                      tmp_path: Path) -> None:
    pdf_id, settings = report_pdf.stem, pdf_milvus
    with_corpus = load_components(settings, embedder=HashEmbedder())
    expected = get(with_corpus, f"/documents/{pdf_id}/pages/5.png")
    assert (expected.status_code, expected.content[:8]) == (200, b"\x89PNG\r\n\x1a\n")
    # the replica is elsewhere: the corpus path the manifest names does not exist there
    moved = settings.corpus_dir.rename(tmp_path / "elsewhere")
    try:
        replica = load_components(settings.model_copy(update={"index_dir": tmp_path / "index"}),
                                  embedder=HashEmbedder())
        served = get(replica, f"/documents/{pdf_id}/pages/5.png")
        assert (served.status_code, served.headers["content-type"]) == (200, "image/png")
        assert served.content == expected.content
        sha256 = replica.index.manifest.documents[pdf_id].sha256
        assert [p.name for p in (tmp_path / "index" / "page-images").iterdir()] == [f"{sha256[:20]}-5-1.5.png"]
        text = get(replica, f"/documents/{DOC_ID}/pages/1.png")
        assert (text.status_code, text.json()) == (404, {"detail": f"document {DOC_ID!r} is a text extraction: "
                                                                    "it has no page images"})
    finally:
        moved.rename(settings.corpus_dir)


def test_a_pdf_is_held_in_parts_and_removed_with_its_report(pdf_milvus: Settings, report_pdf: Path) -> None:
    pdf_id, data = report_pdf.stem, report_pdf.read_bytes()
    store = open_store(pdf_milvus)
    assert isinstance(store, MilvusStore)
    manifest = store.manifest()
    held = store.client.query(store.name["blobs"], filter=f'doc_id == "{pdf_id}" and name == "source"',
                              output_fields=["part"], limit=1000)
    assert sorted(r["part"] for r in held) == list(range(-(-len(data) // SOURCE_BYTES)))
    assert store.source(manifest.documents[pdf_id].segment) == data
    assert store.source(manifest.documents[DOC_ID].segment) is None  # a text report: no file kept
    remove_report(pdf_milvus, HashEmbedder(), Tokenizer(), pdf_id)
    assert store.client.query(store.name["blobs"], filter=f'doc_id == "{pdf_id}"', output_fields=["key"],
                              limit=10) == []
    assert store.client.query(store.name["blobs"], filter='name == "source"', output_fields=["key"], limit=10) == []
    assert list(store.manifest().documents) == [DOC_ID]
