"""The real server: uvicorn started as a subprocess on a free loopback port
over the session's real index (it only loads it), asked over HTTP, serially
and from 16 concurrent clients."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import running_server
from reportqa.rendering import answer_json
from reportqa.service import Components

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 180
ASKED = [
    ("四川省2022年可数字化交付服务出口额是多少？", "52.23"),
    ("2022年全球ICT服务出口额达到多少？", "9686亿美元"),
    ("2022年中国可数字化交付服务进出口额是多少？", "3727.1亿美元"),
    ("全国有多少个城市拥有国际互联网数据专用通道？", "47个城市"),
]
CYCLE = [
    "四川省2022年可数字化交付服务出口额是多少？",
    "全国有多少个城市拥有国际互联网数据专用通道？",
    "据WTO统计，2022年全球可数字化交付服务出口额是多少？",
    "截至2022年底，中国光缆线路总长度达到多少？",
    "表1中，2022年美国可数字化服务贸易进出口额是多少？",
    "预计全球电子商务零售额将在哪一年突破7万亿美元？",
    "在全球数字贸易规则中，各经济体在哪些议题上进行规则协调？",
    "报告中提到的RCEP全称是什么？",
    "2022年韩国可数字化服务出口额是多少？",
    "中国的智能算力规模和通用算力规模相比，哪个更大？",
]
REQUESTS, CLIENTS = 200, 16


def without_timings(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "timings_ms"}


@pytest.fixture(scope="module")
def server(real_components: Components, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running ``uvicorn --factory reportqa.api.app:create_app``; stopped after."""
    settings = real_components.settings
    base_dir = tmp_path_factory.mktemp("server")
    log_path = base_dir / "server.log"
    # a copy of the session's index: should the server find it stale and rebuild it, the
    # other tests' index stays as it is (and test_health_over_http reports the rebuild)
    index_dir = base_dir / "index"
    shutil.copytree(settings.index_dir, index_dir)
    env = {**os.environ, "REPORTQA_INDEX_DIR": str(index_dir),
           "REPORTQA_CORPUS_DIR": str(Path(settings.corpus_dir).resolve()), "HF_HUB_OFFLINE": "1"}
    with running_server(env, log_path, STARTUP_SECONDS) as base:
        yield base


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    """One HTTP client of the server."""
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


@pytest.mark.slow
def test_health_over_http(http: httpx.Client, real_components: Components) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["passages"] == len(real_components.index.passages)
    assert data["documents"] == ["china-digital-trade-report-2022"]
    # the server loaded the session's index: it did not build another one
    assert data["index_built_at"] == real_components.index.manifest.created_at


@pytest.mark.slow
def test_page_over_http(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.slow
@pytest.mark.parametrize(("question", "figure"), ASKED, ids=["sichuan-table", "global-ict", "china-total", "cities"])
def test_ask_over_http(http: httpx.Client, real_components: Components, question: str, figure: str) -> None:
    response = http.post("/ask", json={"question": question})
    assert response.status_code == 200
    data = response.json()
    assert data["abstained"] is False
    assert figure in data["answer"], data["answer"]
    assert data["citations"]
    for citation in data["citations"]:
        passage = http.get(f"/passages/{citation['passage_id']}")
        assert passage.status_code == 200
        p = passage.json()
        assert citation["quote"] in p["text"]
        assert (p["doc_id"], p["section_path"], p["page_start"], p["page_end"], p["start"], p["end"]) == (
            citation["doc_id"], citation["section_path"], citation["page_start"], citation["page_end"],
            citation["start"], citation["end"])
        assert p["start"] <= citation["quote_start"] < citation["quote_end"] <= p["end"]
    # the server answers as the library does
    expected = answer_json(real_components.answerer.answer(question))
    assert without_timings(data) == without_timings(expected)


@pytest.mark.slow
def test_http_errors(http: httpx.Client) -> None:
    assert http.post("/ask", json={"question": " "}).status_code == 422
    assert http.get("/passages/p-000000000000").status_code == 404
    big = http.post("/ask", content=b'{"question": "' + b"a" * 17000 + b'"}',
                    headers={"content-type": "application/json"})
    assert big.status_code == 413


@pytest.mark.slow
def test_concurrent_requests_equal_serial_answers(http: httpx.Client, server: str) -> None:
    serial = {}
    for question in CYCLE:
        response = http.post("/ask", json={"question": question})
        assert response.status_code == 200
        serial[question] = without_timings(response.json())
    assert sum(a["abstained"] for a in serial.values()) == 1  # the question about 韩国

    # 16 clients, each with its own connection, start together and share the 200 requests
    barrier = threading.Barrier(CLIENTS)
    results: dict[int, tuple[str, int, dict[str, Any] | None]] = {}

    def client_loop(c: int) -> None:
        with httpx.Client(base_url=server, timeout=120) as client:
            barrier.wait(timeout=60)
            for k in range(c, REQUESTS, CLIENTS):
                question = CYCLE[k % len(CYCLE)]
                response = client.post("/ask", json={"question": question})
                results[k] = (question, response.status_code,
                              response.json() if response.status_code == 200 else None)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(client_loop, c) for c in range(CLIENTS)]
        # the service keeps answering /health while it is busy
        health = http.get("/health", timeout=30)
        done, pending = wait(futures, timeout=300)
    elapsed = time.monotonic() - started
    assert not pending, f"clients unfinished after {elapsed:.0f} s"
    for future in futures:
        future.result()  # a transport error or timeout is raised here
    assert health.status_code == 200
    assert sorted(results) == list(range(REQUESTS))
    errors = [(q, status) for q, status, _ in results.values() if status != 200]
    assert errors == []
    different = [q for q, _, data in results.values() if data is None or without_timings(data) != serial[q]]
    assert different == []
