"""The optional writers: a real OpenAI-compatible server on loopback (the API
key reaches it, its abstention counts as one, a cited reply is used) and a
tiny randomly initialised local model the test builds (its chat template is
used; its noise falls back to the extractive answer)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from reportqa.answer import ABSTAIN_TEXT
from reportqa.answer.generators import SYSTEM, TransformersGenerator, build_prompt
from reportqa.chunking import Passage, Sentence
from reportqa.service import Components, build_answerer

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "china-digital-trade-report-2022.txt"

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
    answerer = build_answerer(settings, real_components.retriever)
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


TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
MARKERS = ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]


def tiny_model(folder: Path, template: str | None) -> Path:
    """A randomly initialised GPT-2 of one small layer with a character-level
    tokenizer over the report's characters, saved as a transformers folder."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    text = CORPUS.read_text("utf-8") + SYSTEM + build_prompt(SICHUAN, [])
    chars = sorted(set(text))
    specials = ["[UNK]", "[PAD]", "[EOS]", *MARKERS]
    vocab = {t: k for k, t in enumerate([*specials, *chars])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]",
                                   additional_special_tokens=MARKERS)
    if template is not None:
        fast.chat_template = template
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(vocab), n_positions=4096, n_embd=16, n_layer=1, n_head=2,
                        eos_token_id=vocab["[EOS]"], bos_token_id=vocab["[EOS]"])
    GPT2LMHeadModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_local_writer_speaks_through_the_model_chat_template(tmp_path: Path) -> None:
    writer = TransformersGenerator(str(tiny_model(tmp_path, TEMPLATE)), max_new_tokens=8)
    passage = Passage("p1", "d", "prose", "四川省出口额52.23亿美元。", ("一",), 1, 1, 0, 14, ((0, 14),),
                      (Sentence("四川省出口额52.23亿美元。", 0, 14),))
    inputs = writer._inputs(SICHUAN, [passage])
    shown = writer.tokenizer.decode(inputs["input_ids"][0])
    assert shown == f"<|system|>{SYSTEM}<|end|><|user|>{build_prompt(SICHUAN, [passage])}<|end|><|assistant|>"
    reply = writer.generate(SICHUAN, [passage])
    assert writer.calls == 1
    assert reply == writer.generate(SICHUAN, [passage])  # greedy: the same reply twice
    assert len(writer.tokenizer(reply)["input_ids"]) <= 8


def test_local_writer_without_a_template_sends_plain_text(tmp_path: Path) -> None:
    writer = TransformersGenerator(str(tiny_model(tmp_path, None)), max_new_tokens=4)
    inputs = writer._inputs(SICHUAN, [])
    assert writer.tokenizer.decode(inputs["input_ids"][0]) == f"{SYSTEM}\n{build_prompt(SICHUAN, [])}"


@pytest.mark.slow
def test_a_random_local_writer_falls_back_to_the_extractive_answer(real_components: Components,
                                                                   tmp_path: Path) -> None:
    settings = real_components.settings.model_copy(update={
        "generator": "transformers", "generator_model_path": str(tiny_model(tmp_path, TEMPLATE))})
    answerer = build_answerer(settings, real_components.retriever)
    # noise from random weights cites nothing, so the checked extractive answer stands
    assert answerer.answer(SICHUAN).text == real_components.answerer.answer(SICHUAN).text
    assert answerer.generator.calls == 1  # type: ignore[union-attr]
