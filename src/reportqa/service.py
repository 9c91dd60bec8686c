"""Wiring: from one :class:`Settings` to loaded, ready-to-use components.

This is the only place that turns settings into objects; the CLI and the
HTTP app call it once at start-up.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from reportqa.answer import Answerer, ComposerConfig
from reportqa.answer.generators import Generator, OpenAIGenerator, TransformersGenerator
from reportqa.answer.reader import ReaderModels
from reportqa.chunking import Chunker, ChunkingConfig
from reportqa.errors import SettingsError
from reportqa.index.embedder import Embedder, build_embedder, embedder_id
from reportqa.index.files import FileStore
from reportqa.index.store import (
    BuildReport,
    IndexBuilder,
    IndexIdentity,
    IndexLoadError,
    IndexStaleError,
    LoadedIndex,
    NewDocument,
    Store,
    document_identity,
    load_index,
)
from reportqa.ingest import CorpusError, CorpusReader, Document, ReportParser, SourceFile
from reportqa.ingest.pdf import PdfReader
from reportqa.ingest.reader import SUFFIXES
from reportqa.retrieval import Retriever
from reportqa.segment import Tokenizer
from reportqa.settings import Settings

log = logging.getLogger("reportqa")


def chunking_config(settings: Settings) -> ChunkingConfig:
    """Chunking parameters from the settings."""
    return ChunkingConfig(settings.chunk_target_chars, settings.chunk_overlap_sentences)


def read_corpus(settings: Settings) -> list[SourceFile]:
    """The corpus files named by the settings."""
    return CorpusReader().read(settings.corpus_dir)


def parse_report(source: SourceFile) -> Document:
    """Rebuild one report: a PDF from its layout, a text extraction from its lines."""
    if source.kind == "pdf":
        return PdfReader().read(Path(source.path))[1]
    return ReportParser().parse(source)


def prepare(settings: Settings, source: SourceFile) -> NewDocument:
    """Rebuild one report and cut it into passages, ready to index."""
    document = parse_report(source)
    passages = Chunker(chunking_config(settings)).chunk(document)
    return NewDocument(source, document, passages, document.title or source.doc_id)


def open_store(settings: Settings, dim: int | None = None) -> Store:
    """The store the settings name: index files (the default) or Milvus; ``dim``
    is the embedding size, needed to create Milvus collections."""
    if settings.store == "milvus":
        from reportqa.index.milvus import MilvusStore

        uri = settings.milvus_uri or str(settings.index_dir / "milvus.db")
        return MilvusStore(uri, embedder_id(settings), chunking_config(settings), dim)
    return FileStore(settings.index_dir)


def _builder(settings: Settings, embedder: Embedder, tokenizer: Tokenizer) -> IndexBuilder:
    return IndexBuilder(embedder, tokenizer, chunking_config(settings), embedder_id(settings),
                        settings.hnsw_threshold)


def build_index(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    sources: list[SourceFile] | None = None,
    progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the whole index for the corpus into the settings' store (every report embedded)."""
    sources = sources or read_corpus(settings)
    if on_stage:
        on_stage("chunking")
    ready = [prepare(settings, s) for s in sources]
    return _builder(settings, embedder, tokenizer).update(open_store(settings, embedder.dim), ready, fresh=True,
                                                          progress=progress, on_stage=on_stage)


def sync_index(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    sources: list[SourceFile] | None = None,
    progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> BuildReport:
    """Bring the index up to the corpus: embed only the reports that are new or
    changed, drop those that are gone. An index built another way (model,
    chunking, format) is rebuilt whole."""
    sources = sources or read_corpus(settings)
    builder = _builder(settings, embedder, tokenizer)
    changed, gone = _pending(builder, settings, sources)
    ready = [prepare(settings, s) for s in changed]
    return builder.update(open_store(settings, embedder.dim), ready, gone, progress=progress, on_stage=on_stage)


def build_shard(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    shard: tuple[int, int],
    sources: list[SourceFile] | None = None,
    progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> BuildReport:
    """Shard ``I`` of ``N``: embed the corpus reports whose place in doc-id order
    is ``I - 1`` modulo ``N`` and that the index lacks or holds in another
    version, and add them; other reports are left as they are. N shards, run
    anywhere against one Milvus, build the index of the whole corpus."""
    at, of = shard
    sources = sorted(sources or read_corpus(settings), key=lambda s: s.doc_id)
    mine = [s for k, s in enumerate(sources) if k % of == at - 1]
    builder = _builder(settings, embedder, tokenizer)
    changed, _ = _pending(builder, settings, mine)
    ready = [prepare(settings, s) for s in changed]
    return builder.update(open_store(settings, embedder.dim), ready, (), progress=progress, on_stage=on_stage)


def _pending(builder: IndexBuilder, settings: Settings, sources: list[SourceFile]) -> tuple[list[SourceFile], set[str]]:
    """The corpus files the index lacks or holds in another version, and the
    reports it holds that the corpus no longer has."""
    indexed = {k: v.sha256 for k, v in builder.current_documents(open_store(settings)).items()}
    return [s for s in sources if indexed.get(s.doc_id) != s.sha256], set(indexed) - {s.doc_id for s in sources}


DOC_ID = re.compile(r"^[\w][\w.\-]{0,99}$")


class UnsupportedReportError(CorpusError):
    """A file of a type the corpus does not take."""


class DuplicateReportError(CorpusError):
    """A report already in the corpus (same id or same content)."""


class UnknownReportError(CorpusError):
    """No report of that id."""


class LastReportError(CorpusError):
    """Removing the only report would leave an empty index."""


class NoCorpusError(CorpusError):
    """A change asked of a process without the corpus (a Milvus replica)."""


def report_files(folder: Path) -> list[Path]:
    """The report files of a corpus folder."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES) if folder.is_dir() else []



def check_new_report(settings: Settings, path: Path, sources: list[SourceFile]) -> SourceFile:
    """Read a file to add, refusing an unsupported type, a bad name, or a
    report already in the corpus (same id or same content)."""
    if path.suffix.lower() not in SUFFIXES:
        raise UnsupportedReportError(f"{path}: unsupported file type {path.suffix or '(none)'!r}: "
                          f"add {' or '.join(SUFFIXES)} files")
    if not DOC_ID.fullmatch(path.stem):
        raise CorpusError(f"{path}: the file name {path.stem!r} cannot be a document id: "
                          "use letters, digits, '.', '-' and '_'")
    source = CorpusReader().read_file(path)
    for known in sources:
        if known.doc_id == source.doc_id:
            raise DuplicateReportError(f"{path}: a report {source.doc_id!r} is already in the corpus: remove it first")
        if known.sha256 == source.sha256:
            raise DuplicateReportError(f"{path}: the same file is already in the corpus as {known.doc_id!r}")
    return source


def add_reports(
    settings: Settings,
    embedder: Embedder,
    tokenizer: Tokenizer,
    paths: list[Path],
    on_stage: Callable[[str], None] | None = None,
) -> BuildReport:
    """Add report files to the corpus and the index, embedding only them (and,
    when the index is behind its corpus, the reports it lacks).

    Every file is read, checked and rebuilt before anything is written; the
    files are then copied into the corpus folder and the index is changed in
    one step. When the index change fails the copies are removed again, so
    the corpus and the index stay as they were."""
    sources = read_corpus(settings) if report_files(settings.corpus_dir) else []
    builder = _builder(settings, embedder, tokenizer)
    # an index behind its corpus (none built yet, or a file changed by hand) catches up in the same step
    behind, gone = _pending(builder, settings, sources)
    if not sources and gone and settings.store == "milvus":  # a replica: "catching up" would drop every report
        raise _no_corpus(settings, len(gone))
    checked: list[SourceFile] = []
    for path in paths:
        source = check_new_report(settings, path, sources + checked)
        checked.append(source)
    ready = [prepare(settings, s) for s in checked]
    catch_up = [prepare(settings, s) for s in behind]
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    copies: list[Path] = []
    try:
        for path, new in zip(paths, ready, strict=True):
            target = settings.corpus_dir / f"{new.source.doc_id}{path.suffix.lower()}"
            tmp = settings.corpus_dir / f".{target.name}.part"
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
            copies.append(target)
        moved = [replace(n, source=replace(n.source, path=str(c))) for n, c in zip(ready, copies, strict=True)]
        return builder.update(open_store(settings, embedder.dim), catch_up + moved, gone, on_stage=on_stage)
    except BaseException:
        for copy in copies:
            copy.unlink(missing_ok=True)
        raise


def remove_report(settings: Settings, embedder: Embedder, tokenizer: Tokenizer, doc_id: str) -> BuildReport:
    """Drop a report from the index, then its file from the corpus."""
    every = report_files(settings.corpus_dir)
    files = [p for p in every if p.stem == doc_id]
    if not every and settings.store == "milvus":
        store = open_store(settings)
        raise _no_corpus(settings, len(store.manifest().documents), store.location)
    if not files:
        raise UnknownReportError(f"no report {doc_id!r} in {settings.corpus_dir}")
    if len(every) == len(files):
        raise LastReportError(f"{doc_id!r} is the only report: the index cannot be empty")
    report = _builder(settings, embedder, tokenizer).update(open_store(settings, embedder.dim), [], {doc_id})
    for path in files:
        path.unlink()
    return report


def _no_corpus(settings: Settings, live: int, location: str | None = None) -> NoCorpusError:
    """The refusal to change an index from a process without its corpus (a replica)."""
    where = location if location is not None else open_store(settings).location
    return NoCorpusError(f"{settings.corpus_dir} holds none of the {live} reports live in "
                         f"{where}: add or remove reports where the corpus is "
                         "(without one, this process only serves)")


@dataclass
class Components:
    """Everything a running service needs, loaded once."""

    settings: Settings
    sources: list[SourceFile]
    documents: Mapping[str, Document]  # read from the index when asked for
    embedder: Embedder
    tokenizer: Tokenizer
    index: LoadedIndex
    retriever: Retriever
    answerer: Answerer


def load_components(
    settings: Settings,
    build_if_needed: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_stage: Callable[[str], None] | None = None,
    models: ReaderModels | None = None,
) -> Components:
    """Load corpus, model and index; build the index first when it is missing
    or stale and ``build_if_needed`` (or the ``rebuild_stale`` setting) is set.

    With the Milvus store and no report in the corpus folder (a replica), the
    reports live in Milvus are served as they are: nothing is checked against
    a corpus and nothing is built."""
    sources = serving_sources(settings)
    embedder = embedder or build_embedder(settings)
    tokenizer = Tokenizer()
    if sources is None:
        index = _live_index(settings, embedder)
    else:
        index = _current_index(settings, embedder, tokenizer, sources, build_if_needed, progress, on_stage)
    retriever = Retriever(
        index, embedder, tokenizer, settings.top_k, settings.mode, settings.fusion,
        settings.dense_weight, settings.rrf_k,
    )
    documents = index.documents
    answerer = build_answerer(settings, retriever, models)
    answerer.warm_up()
    return Components(settings, sources or [], documents, embedder, tokenizer, index, retriever, answerer)


def serving_sources(settings: Settings) -> list[SourceFile] | None:
    """The corpus files a serving process checks its index against; ``None``
    with the Milvus store when the corpus folder is missing or holds no report."""
    if settings.store == "milvus" and not report_files(settings.corpus_dir):
        return None
    return read_corpus(settings)


def _live_index(settings: Settings, embedder: Embedder) -> LoadedIndex:
    """The reports live in Milvus, built with this model and chunking, as they are."""
    store = open_store(settings, embedder.dim)
    identity = IndexIdentity(embedder_id(settings), embedder.dim, chunking_config(settings), None)
    try:
        index = load_index(store, identity)
    except IndexLoadError as exc:
        raise type(exc)(f"{exc}; {settings.corpus_dir} holds no reports to build it from") from None
    if not index.manifest.documents:
        raise IndexLoadError(f"no reports are live in {store.location}: run `reportqa index` where the corpus is")
    log.info("no reports in %s: serving the %d reports live in %s as they are (no corpus to check them "
             "against)", settings.corpus_dir, len(index.manifest.documents), store.location)
    return index


def _current_index(settings: Settings, embedder: Embedder, tokenizer: Tokenizer, sources: list[SourceFile],
                   build_if_needed: bool, progress: bool, on_stage: Callable[[str], None] | None) -> LoadedIndex:
    """The index checked against the corpus ``sources``; built or brought up to
    them first when it is missing or stale and that is asked for."""
    identity = IndexIdentity(
        embedder_id(settings), embedder.dim, chunking_config(settings), document_identity(sources)
    )
    store = open_store(settings, embedder.dim)
    if settings.store == "milvus":
        log.info("checking the index in %s against the %d reports in %s", store.location, len(sources),
                 settings.corpus_dir)
    rebuild = build_if_needed or settings.rebuild_stale
    try:
        index = load_index(store, identity)
    except IndexStaleError as exc:
        if not rebuild:
            raise
        log.warning("%s: updating the index in %s", exc, open_store(settings).location)
        sync_index(settings, embedder, tokenizer, sources, progress, on_stage)
        index = load_index(open_store(settings, embedder.dim), identity)
    except IndexLoadError as exc:
        if not build_if_needed:
            raise
        log.warning("%s: building the index in %s", exc, open_store(settings).location)
        build_index(settings, embedder, tokenizer, sources, progress, on_stage)
        index = load_index(open_store(settings, embedder.dim), identity)
    return index


def build_answerer(settings: Settings, retriever: Retriever, models: ReaderModels | None = None) -> Answerer:
    """The answerer over the retriever's index, with the fitted reader models
    and the configured abstention threshold, if any, in place of the fitted one."""
    return Answerer(retriever, ComposerConfig(abstain_threshold=settings.abstain_threshold),
                    build_generator(settings), models)


def build_generator(settings: Settings) -> Generator | None:
    """The optional answer writer the settings name (``extractive`` means none)."""
    if settings.generator == "transformers":
        if not settings.generator_model_path:
            raise SettingsError("generator 'transformers' needs REPORTQA_GENERATOR_MODEL_PATH")
        return TransformersGenerator(settings.generator_model_path)
    if settings.generator == "openai":
        if not settings.generator_url:
            raise SettingsError("generator 'openai' needs REPORTQA_GENERATOR_URL")
        return OpenAIGenerator(settings.generator_url, settings.generator_model, settings.generator_api_key)
    return None
