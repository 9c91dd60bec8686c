"""Tests of the HTTP API through the ASGI app, with the real model and index
(``real_components``): every endpoint, every error code, and a schemathesis
fuzz of the OpenAPI schema. No request here may answer 500.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from reportqa.api.app import create_app
from reportqa.rendering import answer_json, hit_json
from reportqa.service import Components
from reportqa.settings import Settings

SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"
KEY = "s3cret-key"
ASK_KEYS = {"question", "answer", "abstained", "abstain_reason", "resolved_question", "citations", "see_also",
            "timings_ms"}
PATHS = {"/health", "/ask", "/search", "/passages/{passage_id}", "/documents", "/documents/{doc_id}",
         "/documents/{doc_id}/pages/{page}.png", "/documents/{doc_id}/boxes", "/v1/models", "/v1/chat/completions"}


def _no_server_error(response: httpx.Response) -> None:
    assert response.status_code != 500, (response.request.method, response.request.url, response.text)


def client_for(app: FastAPI) -> TestClient:
    """A test client that fails the test on any 500 (server errors come back as responses)."""
    client = TestClient(app, raise_server_exceptions=False)
    client.event_hooks = {"request": [], "response": [_no_server_error]}
    return client


@pytest.fixture(scope="module")
def api_app(real_components: Components) -> FastAPI:
    """The app over the real components, with default settings (no key, CORS closed)."""
    return create_app(real_components.settings, components=real_components)


@pytest.fixture(scope="module")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    """A client of :func:`api_app` with its lifespan running."""
    with client_for(api_app) as c:
        yield c


@pytest.fixture(scope="module")
def contract(hash_index: tuple[Settings, Components]) -> Iterator[TestClient]:
    """A client of the app over the hash-embedder index: for the HTTP contract
    (status codes, messages, headers), where the model is not the point."""
    settings, components = hash_index
    with client_for(create_app(settings, components=components)) as c:
        yield c


def without_timings(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "timings_ms"}


# -- endpoints ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_health(client: TestClient, real_components: Components) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    manifest = real_components.index.manifest
    assert response.json() == {
        "status": "ok", "passages": manifest.passages, "model": manifest.embedding.model,
        "index_built_at": manifest.created_at, "documents": ["china-digital-trade-report-2022"],
        "store": "faiss", "detail": None,
    }
    assert response.json()["passages"] == len(real_components.index.passages)


@pytest.mark.slow
def test_page_and_its_local_resources(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<html" in html.lower()
    # nothing loads from the internet: every src/href is local (or inline data)
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    remote = [link for link in links if re.match(r"(?i)(https?:)?//", link)]
    assert remote == []
    for link in links:
        if link.startswith("/"):
            assert client.get(link).status_code == 200, link


@pytest.mark.slow
def test_openapi_and_docs(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == PATHS
    assert set(schema["paths"]["/ask"]) == {"post"}
    ask = schema["components"]["schemas"]["AskRequest"]
    assert set(ask["properties"]) == {"question", "top_k", "mode", "doc_ids", "history"}
    assert ask["required"] == ["question"]
    for code in ("401", "404", "413", "422", "503"):
        assert code in schema["paths"]["/ask"]["post"]["responses"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in docs.text
    # the docs load nothing from the internet: their assets are served here
    assert "http" not in docs.text.replace("http-equiv", "")
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "k", "mode"),
    [
        ({"question": SICHUAN}, None, None),
        ({"question": SICHUAN, "top_k": 3, "mode": "bm25"}, 3, "bm25"),
        ({"question": "有多少个城市拥有国际互联网数据专用通道？", "mode": "dense"}, None, "dense"),
        ({"question": "2022年韩国可数字化服务出口额是多少？", "top_k": 20}, 20, None),
        ({"question": SICHUAN, "top_k": 1, "mode": None}, 1, None),
    ],
    ids=["default", "bm25-k3", "dense", "abstains-k20", "k1"],
)
def test_ask_returns_the_answer_json(client: TestClient, real_components: Components,
                                     body: dict[str, Any], k: int | None, mode: str | None) -> None:
    response = client.post("/ask", json=body)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == ASK_KEYS
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    expected = answer_json(real_components.answerer.answer(body["question"], k, mode))
    assert without_timings(data) == without_timings(expected)


@pytest.mark.slow
def test_ask_sichuan_cites_the_table_row(client: TestClient) -> None:
    data = client.post("/ask", json={"question": SICHUAN}).json()
    assert data["abstained"] is False
    assert "52.23" in data["answer"]
    assert [(c["n"], c["page_start"]) for c in data["citations"]] == [(1, 35)]
    passage = client.get(f"/passages/{data['citations'][0]['passage_id']}").json()
    assert passage["kind"] == "table_row"
    assert data["citations"][0]["quote"] in passage["text"]


@pytest.mark.slow
def test_ask_strips_control_characters(client: TestClient, real_components: Components) -> None:
    response = client.post("/ask", json={"question": "\x00\x07四川省出口额\x1b "})
    assert response.status_code == 200
    data = response.json()
    assert data["question"] == "四川省出口额"
    assert without_timings(data) == without_timings(answer_json(real_components.answerer.answer("四川省出口额")))


@pytest.mark.slow
def test_ask_accepts_500_characters_after_trimming(client: TestClient) -> None:
    question = "四川" * 250
    response = client.post("/ask", json={"question": f"  \t{question}\n "})
    assert response.status_code == 200
    assert response.json()["question"] == question


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "k", "mode"),
    [({"q": SICHUAN}, 5, None), ({"q": "数字贸易", "k": 3, "mode": "dense"}, 3, "dense"),
     ({"q": "数字贸易发展", "k": 20, "mode": "bm25"}, 20, "bm25"), ({"q": "跨境电商", "k": 1, "mode": "hybrid"}, 1, "hybrid"),
     # an abbreviation the report defines: searched by its long form too, as the answer path does
     ({"q": "跨电出口多少", "k": 3, "mode": "bm25"}, 3, "bm25")],
    ids=["default", "dense-k3", "bm25-k20", "hybrid-k1", "abbreviation"],
)
def test_search_returns_the_hit_json(client: TestClient, real_components: Components,
                                     params: dict[str, Any], k: int, mode: str | None) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 200
    expected = [hit_json(h) for h in real_components.answerer.search(params["q"], k, mode)]
    assert response.json() == expected
    assert len(expected) == k


@pytest.mark.slow
def test_passages_with_their_neighbours(client: TestClient, real_components: Components) -> None:
    passages = real_components.index.passages
    assert len({p.doc_id for p in passages}) == 1  # one report: neighbours are plain list neighbours
    middle = next(k for k, p in enumerate(passages) if p.kind == "table_row")
    for at in (0, middle, len(passages) - 1):
        p = passages[at]
        response = client.get(f"/passages/{p.id}")
        assert response.status_code == 200
        assert response.json() == {
            "id": p.id, "doc_id": p.doc_id, "kind": p.kind, "text": p.text,
            "section_path": list(p.section_path), "page_start": p.page_start, "page_end": p.page_end,
            "start": p.start, "end": p.end, "spans": [list(s) for s in p.spans],
            "previous_id": passages[at - 1].id if at > 0 else None,
            "next_id": passages[at + 1].id if at + 1 < len(passages) else None,
        }


@pytest.mark.slow
def test_document_is_the_rebuilt_report(client: TestClient, real_components: Components) -> None:
    response = client.get("/documents/china-digital-trade-report-2022")
    assert response.status_code == 200
    doc = response.json()
    source = real_components.documents["china-digital-trade-report-2022"]
    assert (doc["doc_id"], doc["pages"], doc["first_page"], doc["last_page"]) == \
        ("china-digital-trade-report-2022", len(source.pages), source.pages[0].number, source.pages[-1].number)
    assert [len(doc[k]) for k in ("sections", "paragraphs", "tables")] == \
        [len(source.sections), len(source.paragraphs), len(source.tables)]
    assert len(doc["notes"]) == len(source.captions) + len(source.footnotes)
    assert [t["number"] for t in doc["tables"]] == ["1", "2", "3", "4", "5"]
    table2 = doc["tables"][1]
    assert table2["header"] == ["省市", "进出口额", "增速", "出口额", "增速", "进口额", "增速"]
    assert table2["page_start"] == 35
    row = next(r for r in table2["rows"] if r["cells"][0] == "四川")
    assert row["cells"] == ["四川", "68.83", "8.82", "52.23", "8.12", "16.60", "11.06"]
    corpus = {s.doc_id: s.text for s in real_components.sources}["china-digital-trade-report-2022"]
    assert corpus[row["start"]:row["end"]].split() == row["cells"]
    # every paragraph character maps to its own character in the corpus file (for highlighting)
    for paragraph in doc["paragraphs"]:
        assert len(paragraph["offsets"]) == len(paragraph["text"])
        assert "".join(corpus[o] for o in paragraph["offsets"]) == paragraph["text"], paragraph["id"]


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n\t "}, "question"),
        ({"question": "\x00\x07"}, "question"),
        ({"question": "问" * 501}, "question"),
        ({"question": SICHUAN, "top_k": 0}, "top_k"),
        ({"question": SICHUAN, "top_k": 21}, "top_k"),
        ({"question": SICHUAN, "top_k": 2.5}, "top_k"),
        ({"question": SICHUAN, "mode": "x"}, "mode"),
        ({}, "question"),
        ({"top_k": 3}, "question"),
        ({"question": 42}, "question"),
    ],
    ids=["empty", "whitespace", "control-only", "501-chars", "top_k-0", "top_k-21", "top_k-float",
         "mode-x", "missing", "missing-with-top_k", "not-a-string"],
)
def test_ask_rejects_a_bad_body_naming_the_field(contract: TestClient, body: dict[str, Any], field: str) -> None:
    response = contract.post("/ask", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}: ")


def test_ask_validation_messages(contract: TestClient) -> None:
    def detail(body: dict[str, Any]) -> str:
        return str(contract.post("/ask", json=body).json()["detail"])

    assert detail({"question": " "}) == "question: String should have at least 1 character"  # after trimming
    assert detail({}) == "question: Field required"
    assert detail({"question": "q", "top_k": 0}) == "top_k: Input should be greater than or equal to 1"
    assert detail({"question": "q", "top_k": 21}) == "top_k: Input should be less than or equal to 20"
    assert detail({"question": "q", "mode": "x"}) == "mode: Input should be 'hybrid', 'dense' or 'bm25'"


@pytest.mark.parametrize("content", [b"[]", b'"question"', b"null"], ids=["list", "string", "null"])
def test_ask_rejects_a_body_that_is_not_an_object(contract: TestClient, content: bytes) -> None:
    response = contract.post("/ask", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body: ")


def test_ask_rejects_unparseable_json_naming_the_body(contract: TestClient) -> None:
    response = contract.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    # the message names what is wrong (the body), not a character position
    assert response.json()["detail"].startswith("body: ")


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "  "}, "q"), ({"q": "\x07\x1b"}, "q"), ({"q": "数" * 501}, "q"),
     ({"q": "数字", "k": 0}, "k"), ({"q": "数字", "k": 21}, "k"), ({"q": "数字", "k": "two"}, "k"),
     ({"q": "数字", "mode": "x"}, "mode")],
    ids=["missing", "empty", "spaces", "control-only", "501-chars", "k-0", "k-21", "k-text", "mode-x"],
)
def test_search_rejects_bad_parameters_naming_them(contract: TestClient, params: dict[str, Any],
                                                   field: str) -> None:
    response = contract.get("/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}: ")


def test_unknown_ids_are_404(contract: TestClient) -> None:
    response = contract.get("/passages/p-000000000000")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown passage id 'p-000000000000'"}
    response = contract.get("/documents/no-such-report")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown document id 'no-such-report'"}
    assert contract.get("/passages/" + "x" * 3000).status_code == 404


def test_body_over_16_kb_is_413(contract: TestClient) -> None:
    limit = 16 * 1024
    prefix, suffix = b'{"question": "', b'"}'
    padding = limit - len(prefix) - len(suffix)
    at_limit = prefix + b"a" * padding + suffix
    assert len(at_limit) == limit
    # exactly 16 KB passes the size check and fails validation (the question is too long)
    response = contract.post("/ask", content=at_limit, headers={"content-type": "application/json"})
    assert response.status_code == 422
    over = prefix + b"a" * (padding + 1) + suffix
    response = contract.post("/ask", content=over, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "request body over 16 KB"}


def test_chunked_body_over_16_kb_is_413(contract: TestClient) -> None:
    def chunks(size: int) -> Iterator[bytes]:
        yield b'{"question": "'
        yield b"a" * size
        yield b'"}'

    # no Content-Length header: the body is read and measured
    response = contract.post("/ask", content=chunks(20000), headers={"content-type": "application/json"})
    assert response.status_code == 413
    small = contract.post("/ask", content=iter([b'{"question": "', SICHUAN.encode(), b'"}']),
                        headers={"content-type": "application/json"})
    assert small.status_code == 200
    assert small.json()["question"] == SICHUAN


# -- API key ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(hash_index: tuple[Settings, Components]) -> Iterator[TestClient]:
    """A client of an app that requires ``Authorization: Bearer <KEY>``."""
    base, components = hash_index
    settings = base.model_copy(update={"api_key": KEY})
    with client_for(create_app(settings, components=components)) as c:
        yield c


PROTECTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/ask", {"question": SICHUAN}),
    ("GET", "/search?q=数字贸易", None),
    ("GET", "/passages/p-000000000000", None),
    ("GET", "/documents/china-digital-trade-report-2022", None),
]


@pytest.mark.parametrize(("method", "url", "body"), PROTECTED, ids=["ask", "search", "passage", "document"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", f"Basic {KEY}", KEY, "Bearer", f"Bearer {KEY}x"],
    ids=["missing", "wrong", "basic", "no-scheme", "empty", "longer"],
)
def test_api_key_required(keyed: TestClient, method: str, url: str, body: dict[str, Any] | None,
                          authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = keyed.request(method, url, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or wrong API key: send Authorization: Bearer <key>"}


def test_api_key_accepted(keyed: TestClient) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    assert keyed.post("/ask", json={"question": SICHUAN}, headers=headers).status_code == 200
    assert keyed.get("/search", params={"q": "数字贸易"}, headers=headers).status_code == 200
    assert keyed.get("/documents/china-digital-trade-report-2022", headers=headers).status_code == 200
    # the key is checked before the id is looked up
    assert keyed.get("/passages/p-000000000000", headers=headers).status_code == 404
    assert keyed.get("/passages/p-000000000000",
                     headers={"Authorization": f"bearer {KEY}"}).status_code == 404


def test_health_and_page_stay_open_with_a_key(keyed: TestClient) -> None:
    assert keyed.get("/health").status_code == 200
    assert keyed.get("/").status_code == 200
    assert keyed.get("/openapi.json").status_code == 200


# -- loading ------------------------------------------------------------------------------------------


def _wait_for(client: TestClient, status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/health")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


@pytest.mark.slow
def test_503_while_loading_then_ready(real_components: Components) -> None:
    release = threading.Event()
    calls: list[Settings] = []

    def slow_loader(settings: Settings) -> Components:
        calls.append(settings)
        assert release.wait(30), "the test never released the loader"
        return real_components

    app = create_app(real_components.settings, loader=slow_loader)
    with client_for(app) as c:
        try:
            response = c.get("/health")
            assert response.status_code == 503
            assert response.json() == {"status": "loading", "passages": 0, "model": "",
                                       "index_built_at": None, "documents": [], "store": "faiss", "detail": None}
            ask = c.post("/ask", json={"question": SICHUAN})
            assert ask.status_code == 503
            assert ask.json() == {"detail": "the index is still loading"}
            assert c.get("/search", params={"q": "数字"}).status_code == 503
            assert c.get("/passages/p-000000000000").status_code == 503
            # the page is served while the index loads
            assert c.get("/").status_code == 200
        finally:
            release.set()
        response = _wait_for(c, 200)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert c.post("/ask", json={"question": SICHUAN}).status_code == 200
    assert calls == [real_components.settings]  # loaded once, with the app's settings


@pytest.mark.slow
def test_503_when_loading_fails(real_components: Components) -> None:
    message = "index is stale: run `reportqa index`"

    def failing_loader(settings: Settings) -> Components:
        raise RuntimeError(message)

    with client_for(create_app(real_components.settings, loader=failing_loader)) as c:
        response = _wait_for(c, 503)
        deadline = time.monotonic() + 20
        while response.json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.02)
            response = c.get("/health")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "passages": 0, "model": "", "index_built_at": None,
                                   "documents": [], "store": "faiss", "detail": message}
        ask = c.post("/ask", json={"question": SICHUAN})
        assert ask.status_code == 503
        assert ask.json() == {"detail": message}


# -- CORS ----------------------------------------------------------------------------------------------

PREFLIGHT = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def test_cors_closed_by_default(contract: TestClient) -> None:
    response = contract.get("/health", headers={"Origin": "http://example.com"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    response = contract.post("/ask", json={"question": SICHUAN}, headers={"Origin": "http://example.com"})
    assert "access-control-allow-origin" not in response.headers
    preflight = contract.options("/ask", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405


def test_cors_open_for_configured_origins(hash_index: tuple[Settings, Components]) -> None:
    base, components = hash_index
    settings = base.model_copy(update={"cors_origins": ["http://example.com"]})
    with client_for(create_app(settings, components=components)) as c:
        response = c.get("/health", headers={"Origin": "http://example.com"})
        assert response.headers["access-control-allow-origin"] == "http://example.com"
        preflight = c.options("/ask", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://example.com"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        other = c.get("/health", headers={"Origin": "http://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        assert c.options("/ask", headers={**PREFLIGHT, "Origin": "http://elsewhere.example"}).status_code == 400


# -- schemathesis -----------------------------------------------------------------------------------


def _schema_only(settings: Settings) -> Components:
    raise RuntimeError("this app only serves its OpenAPI schema")


# The schema is read at import from an app that loads nothing (the OpenAPI document does not
# depend on the components); each case is then sent to the app over the real components.
# (schemathesis.pytest.from_fixture would be the lazy way, but it does not run on pytest 9.)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(), loader=_schema_only))
CHECKS: list[Callable[..., Any]] = [not_a_server_error, response_schema_conformance]


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_fuzz_openapi_schema(case: Any, api_app: FastAPI) -> None:
    case.call_and_validate(app=api_app, checks=CHECKS)


@pytest.mark.slow
def test_real_ids_match_the_response_schema(api_app: FastAPI) -> None:
    # random ids only reach the 404 branch; these reach the 200 one
    case = SCHEMA["/documents/{doc_id}"]["GET"].Case(path_parameters={"doc_id": "china-digital-trade-report-2022"})
    assert case.call_and_validate(app=api_app, checks=CHECKS).status_code == 200
    case = SCHEMA["/ask"]["POST"].Case(body={"question": "2022年韩国可数字化服务出口额是多少？"},
                                       media_type="application/json")
    assert case.call_and_validate(app=api_app, checks=CHECKS).json()["abstained"] is True


@pytest.mark.slow
def test_passages_match_the_response_schema(api_app: FastAPI, real_components: Components) -> None:
    # real ids reach the 200 branch, spans included, through schemathesis's own response check
    passages = real_components.index.passages
    for pid in (passages[0].id, passages[len(passages) // 2].id, passages[-1].id):
        case = SCHEMA["/passages/{passage_id}"]["GET"].Case(path_parameters={"passage_id": pid})
        response = case.call_and_validate(app=api_app, checks=CHECKS)
        assert response.status_code == 200
        assert all(len(pair) == 2 for pair in response.json()["spans"])
