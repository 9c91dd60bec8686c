"""The optional writer against a real OpenAI-compatible server on loopback:
the API key reaches it, its abstention counts as one, a cited reply is used."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reportqa.answer import ABSTAIN_TEXT
from reportqa.service import Components, build_answerer

SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"


class Endpoint:
    """A minimal /v1/chat/completions that records requests and returns a set reply."""

    def __init__(self) -> None:
        self.reply = ""
        self.requests: list[tuple[str, dict[str, object]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append((self.headers.get("Authorization", ""), body))
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": endpoint.reply}}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture()
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    thread = threading.Thread(target=ep.server.serve_forever, daemon=True)
    thread.start()
    yield ep
    ep.server.shutdown()
    ep.server.server_close()


@pytest.mark.slow
def test_openai_writer_gets_the_key_and_its_abstention_counts(real_components: Components,
                                                              endpoint: Endpoint) -> None:
    settings = real_components.settings.model_copy(update={
        "generator": "openai", "generator_url": endpoint.url, "generator_model": "m", "generator_api_key": "k1"})
    answerer = build_answerer(settings, real_components.retriever, real_components.documents)
    endpoint.reply = ABSTAIN_TEXT + "。"
    answer = answerer.answer(SICHUAN)
    assert (answer.text, answer.abstained, answer.citations) == (ABSTAIN_TEXT, True, ())
    assert answer.abstain_reason == "the writer found no answer in the retrieved passages"
    auth, body = endpoint.requests[-1]
    assert auth == "Bearer k1"
    assert body["model"] == "m"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]  # type: ignore[union-attr]
    # a reply citing the passage holding the figure is the answer, its marker renumbered
    ranked = [h.passage for h in real_components.retriever.search(SICHUAN, 8)]
    n = next(k for k, p in enumerate(ranked[:5], start=1) if "52.23" in p.text)
    endpoint.reply = f"四川出口额52.23亿美元。[{n}]"
    answer = answerer.answer(SICHUAN)
    assert answer.text == "四川出口额52.23亿美元。[1]"
    assert "52.23" in answer.citations[0].passage.text
    # a figure in no cited passage sends the answer back to the extractive one
    endpoint.reply = f"四川出口额99.99亿美元。[{n}]"
    assert "99.99" not in answerer.answer(SICHUAN).text
