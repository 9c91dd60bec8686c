"""Adding and removing reports (``service.add_reports``/``remove_report``, ``reportqa
add/remove/documents``, ``/documents``) on the hash embedder: only the new report
is embedded, bad files change nothing, and the previous index answers during a change."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn

from conftest import CORPUS_FILE, DOC_ID, free_port, running_server
from reportqa.api.app import create_app
from reportqa.index import HashEmbedder
from reportqa.index.manifest import read_manifest
from reportqa.segment import Tokenizer
from reportqa.service import (
    DuplicateReportError,
    LastReportError,
    UnknownReportError,
    UnsupportedReportError,
    add_reports,
    load_components,
    remove_report,
)
from reportqa.settings import Settings

OTHER = "other-report"


def other_report(folder: Path, name: str = OTHER) -> Path:
    """A second report: the bundled one with its years moved on (its own content)."""
    path = folder / f"{name}.txt"
    path.write_text(CORPUS_FILE.read_text("utf-8").replace("2022年", "2023年"), "utf-8")
    return path


def index_state(settings: Settings) -> dict[str, str]:
    """Every file under the index folder (but the lock) and its digest."""
    return {str(p.relative_to(settings.index_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(settings.index_dir.rglob("*")) if p.is_file() and p.name != ".lock"}


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting the passage texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_passages(texts, progress)


def test_adding_a_report_embeds_only_that_report(hash_copy: Settings, tmp_path: Path) -> None:
    before = read_manifest(hash_copy.index_dir)
    old_segment = {k: v for k, v in index_state(hash_copy).items() if k.startswith("segments/")}
    embedder = CountingEmbedder()
    report = add_reports(hash_copy, embedder, Tokenizer(), [other_report(tmp_path)])
    after = read_manifest(hash_copy.index_dir)
    assert report.added == (OTHER,) and report.passages == 177
    # the new report's sentences are embedded, a table's vector is its rows' mean: 516 less 5 tables
    assert embedder.embedded == report.sentences == 511
    assert list(after.documents) == [DOC_ID, OTHER]
    assert after.documents[DOC_ID] == before.documents[DOC_ID]  # the same segment, untouched
    assert {k: v for k, v in index_state(hash_copy).items() if k in old_segment} == old_segment
    assert (hash_copy.corpus_dir / f"{OTHER}.txt").read_text("utf-8") == other_report(tmp_path).read_text("utf-8")
    loaded = load_components(hash_copy, embedder=HashEmbedder())
    assert len(loaded.index.passages) == 2 * 177
    assert loaded.index.ranges == {DOC_ID: (0, 177), OTHER: (177, 354)}
    hits = loaded.retriever.search("2023年全球电子商务零售额", 3, "bm25")
    assert hits[0].passage.doc_id == OTHER


def test_removing_a_report_drops_its_segment_and_file(hash_copy: Settings, tmp_path: Path) -> None:
    start = index_state(hash_copy)
    add_reports(hash_copy, HashEmbedder(), Tokenizer(), [other_report(tmp_path)])
    remove_report(hash_copy, HashEmbedder(), Tokenizer(), OTHER)
    assert sorted(p.name for p in hash_copy.corpus_dir.iterdir()) == [f"{DOC_ID}.txt"]
    assert list(read_manifest(hash_copy.index_dir).documents) == [DOC_ID]
    # the bundled report's segment is the one from before; the other report's is gone
    assert {k for k in index_state(hash_copy) if k.startswith("segments/")} == \
        {k for k in start if k.startswith("segments/")}


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda d: other_report(d, "copy-of-the-report").write_text(CORPUS_FILE.read_text("utf-8"), "utf-8"),
     DuplicateReportError, "the same file is already in the corpus as 'china-digital-trade-report-2022'"),
    (lambda d: (d / f"{DOC_ID}.txt").write_text("另一份报告的正文。", "utf-8"),
     DuplicateReportError, f"a report '{DOC_ID}' is already in the corpus: remove it first"),
    (lambda d: (d / "report.docx").write_bytes(b"PK\x03\x04"), UnsupportedReportError,
     "unsupported file type '.docx'"),
    (lambda d: (d / "empty.txt").write_bytes(b""), Exception, "corpus file is empty"),
    (lambda d: (d / "bad name!.txt").write_text("正文。", "utf-8"), Exception, "cannot be a document id"),
])
def test_a_bad_file_is_refused_and_changes_nothing(hash_copy: Settings, tmp_path: Path, make: Callable[[Path], object],
                                                   error: type[Exception], message: str) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    make(folder)
    (path,) = folder.iterdir()
    index, corpus = index_state(hash_copy), sorted(os.listdir(hash_copy.corpus_dir))
    with pytest.raises(error) as info:
        add_reports(hash_copy, HashEmbedder(), Tokenizer(), [path])
    assert message in str(info.value) and str(info.value).startswith(str(path))
    assert index_state(hash_copy) == index and sorted(os.listdir(hash_copy.corpus_dir)) == corpus


def test_removing_an_unknown_or_the_only_report_is_refused(hash_copy: Settings) -> None:
    index = index_state(hash_copy)
    with pytest.raises(UnknownReportError, match="no report 'nothing'"):
        remove_report(hash_copy, HashEmbedder(), Tokenizer(), "nothing")
    with pytest.raises(LastReportError, match="is the only report"):
        remove_report(hash_copy, HashEmbedder(), Tokenizer(), DOC_ID)
    assert index_state(hash_copy) == index


def test_the_cli_adds_lists_and_removes(hash_copy: Settings, tmp_path: Path, run_cli: Callable[..., object]) -> None:
    env = {"REPORTQA_EMBEDDING_BACKEND": "hash", "REPORTQA_CORPUS_DIR": str(hash_copy.corpus_dir),
           "REPORTQA_INDEX_DIR": str(hash_copy.index_dir)}
    added = run_cli("add", str(other_report(tmp_path)), env=env)
    assert added.returncode == 0, added.stderr  # type: ignore[attr-defined]
    assert added.stdout.startswith(f"added {OTHER}: 177 passages, 511 sentences embedded in ")  # type: ignore[attr-defined]
    listed = run_cli("documents", "--json", env=env)
    rows = json.loads(listed.stdout)  # type: ignore[attr-defined]
    assert [(r["id"], r["title"], r["pages"], r["passages"], r["file"]) for r in rows] == [
        (DOC_ID, DOC_ID, 53, 177, f"{DOC_ID}.txt"), (OTHER, OTHER, 53, 177, f"{OTHER}.txt")]
    again = run_cli("add", str(other_report(tmp_path)), env=env)
    assert again.returncode == 2  # type: ignore[attr-defined]
    assert again.stderr.strip().splitlines() == [  # type: ignore[attr-defined]
        f"reportqa: error: {tmp_path / OTHER}.txt: a report '{OTHER}' is already in the corpus: remove it first"]
    scoped = run_cli("search", "2023年全球电子商务零售额", "--doc", OTHER, "--k", "4", "--mode", "bm25", "--json",
                     env=env)
    assert [h["doc_id"] for h in json.loads(scoped.stdout)] == [OTHER] * 4  # type: ignore[attr-defined]
    unknown_doc = run_cli("search", "电子商务", "--doc", "nothing", env=env)
    assert unknown_doc.returncode == 2  # type: ignore[attr-defined]
    assert unknown_doc.stderr.strip() == (  # type: ignore[attr-defined]
        "reportqa: error: unknown document id 'nothing': see `reportqa documents`")
    removed = run_cli("remove", OTHER, env=env)
    assert (removed.returncode, removed.stdout) == (0, f"removed {OTHER}\n")  # type: ignore[attr-defined]
    unknown = run_cli("remove", OTHER, env=env)
    assert unknown.returncode == 2  # type: ignore[attr-defined]
    assert unknown.stderr.strip() == f"reportqa: error: no report '{OTHER}' in {hash_copy.corpus_dir}"  # type: ignore[attr-defined]


# -- over HTTP ---------------------------------------------------------------------------------

KEY = {"Authorization": "Bearer k2"}


@pytest.fixture
def library_server(hash_copy: Settings, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    env = {**os.environ, "REPORTQA_INDEX_DIR": str(hash_copy.index_dir),
           "REPORTQA_CORPUS_DIR": str(hash_copy.corpus_dir), "REPORTQA_EMBEDDING_BACKEND": "hash",
           "REPORTQA_API_KEY": "k2", "REPORTQA_MAX_UPLOAD_MB": "1"}
    with running_server(env, tmp_path / "server.log") as url:
        yield url, hash_copy


def test_upload_list_and_delete_over_http(library_server: tuple[str, Settings], tmp_path: Path) -> None:
    url, settings = library_server
    path = other_report(tmp_path)
    with path.open("rb") as fh:
        response = httpx.post(f"{url}/documents", files={"file": (path.name, fh, "text/plain")}, headers=KEY,
                              timeout=60)
    assert response.status_code == 201, response.text
    assert {k: v for k, v in response.json().items() if k != "added_at"} == {
        "id": OTHER, "title": OTHER, "pages": 53, "passages": 177, "file": f"{OTHER}.txt"}
    listed = httpx.get(f"{url}/documents", headers=KEY).json()
    assert [d["id"] for d in listed] == [DOC_ID, OTHER]
    assert httpx.get(f"{url}/health").json()["documents"] == [DOC_ID, OTHER]
    hits = httpx.get(f"{url}/search", params={"q": "2023年全球电子商务零售额", "mode": "bm25"}, headers=KEY).json()
    assert hits[0]["doc_id"] == OTHER
    assert httpx.delete(f"{url}/documents/{OTHER}", headers=KEY).status_code == 204
    assert [d["id"] for d in httpx.get(f"{url}/documents", headers=KEY).json()] == [DOC_ID]
    assert httpx.delete(f"{url}/documents/{OTHER}", headers=KEY).status_code == 404
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == [f"{DOC_ID}.txt"]


@pytest.mark.parametrize(("name", "body", "headers", "status", "detail"), [
    ("copy.txt", CORPUS_FILE.read_bytes(), KEY, 409, f"copy.txt: the same file is already in the corpus as '{DOC_ID}'"),
    ("report.exe", b"MZ\x90\x00", KEY, 415, "report.exe: unsupported file type '.exe': add .txt or .pdf files"),
    ("empty.txt", b"", KEY, 400, "empty.txt: corpus file is empty"),
    ("big.txt", "数".encode() * 400_000, KEY, 413, "request body over 1 MB"),
    ("new.txt", "正文。".encode(), {}, 401, None),
])
def test_a_bad_upload_gets_a_4xx_and_changes_nothing(library_server: tuple[str, Settings], name: str, body: bytes,
                                                     headers: dict[str, str], status: int, detail: str | None) -> None:
    url, settings = library_server
    before = index_state(settings), sorted(os.listdir(settings.corpus_dir))
    response = httpx.post(f"{url}/documents", files={"file": (name, body, "text/plain")}, headers=headers, timeout=60)
    assert response.status_code == status, response.text
    if detail is not None:
        assert response.json() == {"detail": detail}
    assert (index_state(settings), sorted(os.listdir(settings.corpus_dir))) == before


class SlowEmbedder(HashEmbedder):
    """The hash embedder at about a model's pace when embedding a report (2 ms a sentence)."""

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        time.sleep(0.002 * len(texts))
        return super().embed_passages(texts, progress)


def test_the_previous_index_answers_throughout_an_add(hash_copy: Settings, tmp_path: Path) -> None:
    components = load_components(hash_copy, embedder=SlowEmbedder())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hash_copy, components=components), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        while not server.started:
            time.sleep(0.05)
        path = other_report(tmp_path)
        result: dict[str, int] = {}

        def upload() -> None:
            with path.open("rb") as fh:
                result["status"] = httpx.post(f"{url}/documents", files={"file": (path.name, fh)}, timeout=60).status_code

        adder = threading.Thread(target=upload)
        adder.start()
        during: list[tuple[int, str]] = []
        while adder.is_alive():
            asked = httpx.post(f"{url}/ask", json={"question": "2022年全球电子商务零售额是多少？"}, timeout=30)
            during.append((asked.status_code, httpx.get(f"{url}/health").json()["documents"][-1]))
        adder.join()
        assert result["status"] == 201
        # the add took a while, asks were answered all along, first by the previous index
        assert len(during) >= 3 and {status for status, _ in during} == {200}
        assert during[0][1] == DOC_ID
        assert httpx.get(f"{url}/health").json()["documents"] == [DOC_ID, OTHER]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- PDF reports over HTTP ------------------------------------------------------------------------

PDF_ID = "report-2022-pdf"


def test_a_pdf_report_is_uploaded_shown_by_page_and_scoped(library_server: tuple[str, Settings],
                                                            report_pdf: Path) -> None:
    from PIL import Image

    from reportqa.ingest.pages import quote_boxes
    from reportqa.ingest.pdf import PdfReader

    url, _ = library_server
    with report_pdf.open("rb") as fh:
        response = httpx.post(f"{url}/documents", files={"file": (report_pdf.name, fh, "application/pdf")},
                              headers=KEY, timeout=120)
    assert response.status_code == 201, response.text
    assert {k: v for k, v in response.json().items() if k != "added_at"} == {
        "id": PDF_ID, "title": "中国数字贸易发展报告（2022）", "pages": 53, "passages": 177, "file": f"{PDF_ID}.pdf"}
    view = httpx.get(f"{url}/documents/{PDF_ID}", headers=KEY).json()
    assert (view["title"], view["pdf_pages"], view["first_page"], view["last_page"]) == (
        "中国数字贸易发展报告（2022）", 53, 2, 54)
    image = httpx.get(f"{url}/documents/{PDF_ID}/pages/5.png", headers=KEY)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as png:
        assert png.size == (893, 1263)
    assert httpx.get(f"{url}/documents/{PDF_ID}/pages/54.png", headers=KEY).status_code == 404
    text_page = httpx.get(f"{url}/documents/{DOC_ID}/pages/1.png", headers=KEY)
    assert text_page.status_code == 404 and "is a text extraction" in text_page.json()["detail"]
    # the boxes of a paragraph are the reader's, page by page
    doc = PdfReader().read(report_pdf)[1]
    para = next(p for p in doc.paragraphs if p.page_start != p.page_end)  # one over a page break
    found = httpx.get(f"{url}/documents/{PDF_ID}/boxes", params={"start": para.start, "end": para.end},
                      headers=KEY).json()
    expected = quote_boxes(doc, para.start, para.end)
    assert [p["page"] for p in found["pages"]] == sorted({b.page for b in expected}) and len(found["pages"]) == 2
    assert [b for p in found["pages"] for b in p["boxes"]] == [[b.x0, b.top, b.x1, b.bottom] for b in expected]
    # scope: the same words in both reports, searched in one
    both = httpx.get(f"{url}/search", params={"q": "四川省可数字化交付服务出口额", "k": 10}, headers=KEY).json()
    assert {h["doc_id"] for h in both} == {DOC_ID, PDF_ID}
    scoped = httpx.get(f"{url}/search", params={"q": "四川省可数字化交付服务出口额", "k": 10, "doc_ids": PDF_ID},
                       headers=KEY).json()
    assert len(scoped) == 10 and {h["doc_id"] for h in scoped} == {PDF_ID}
    asked = httpx.post(f"{url}/ask", json={"question": "四川省出口额", "doc_ids": ["nothing"]}, headers=KEY)
    assert asked.status_code == 422
    assert asked.json() == {"detail": "doc_ids: unknown document id 'nothing': see `reportqa documents`"}


@pytest.mark.parametrize(("kind", "message"), [
    ("encrypted", "the PDF is encrypted: add a copy without a password"),
    ("blank", "the PDF has no text layer (a scan?): add a PDF with text"),
    ("fake", "not a PDF (no %PDF- header)"),
])
def test_a_bad_pdf_upload_is_refused_before_anything_is_written(library_server: tuple[str, Settings],
                                                                tmp_path: Path, kind: str, message: str) -> None:
    from test_pdf import _blank_pdf, _encrypted_pdf

    url, settings = library_server
    path = tmp_path / f"{kind}.pdf"
    {"encrypted": _encrypted_pdf, "blank": _blank_pdf,
     "fake": lambda p: p.write_bytes(b"<html></html>")}[kind](path)
    before = index_state(settings), sorted(os.listdir(settings.corpus_dir))
    response = httpx.post(f"{url}/documents", files={"file": (path.name, path.read_bytes(), "application/pdf")},
                          headers=KEY, timeout=60)
    assert (response.status_code, response.json()) == (400, {"detail": f"{kind}.pdf: {message}"})
    assert (index_state(settings), sorted(os.listdir(settings.corpus_dir))) == before


def test_an_add_to_a_corpus_without_an_index_indexes_the_corpus_too(hash_copy: Settings, tmp_path: Path) -> None:
    fresh = hash_copy.model_copy(update={"index_dir": tmp_path / "no-index-yet"})
    embedder = CountingEmbedder()
    report = add_reports(fresh, embedder, Tokenizer(), [other_report(tmp_path)])
    assert sorted(report.added) == [DOC_ID, OTHER] and embedder.embedded == 2 * 511
    assert list(read_manifest(fresh.index_dir).documents) == [DOC_ID, OTHER]
    assert len(load_components(fresh, embedder=HashEmbedder()).index.passages) == 2 * 177
