"""The OpenAI-compatible chat API (api/routes/chat.py) through the official
``openai`` package against the real server on loopback, with the real model."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from conftest import CORPUS_DIR, DOC_ID, running_server
from reportqa.service import Components

pytestmark = pytest.mark.slow
KEY = "chat-key"
SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"


@pytest.fixture(scope="module")
def chat_url(real_components: Components, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("chat")
    shutil.copytree(real_components.settings.index_dir, base / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(HF_HUB_OFFLINE="1", REPORTQA_INDEX_DIR=str(base / "index"), REPORTQA_CORPUS_DIR=str(CORPUS_DIR),
               REPORTQA_API_KEY=KEY)
    with running_server(env, base / "server.log") as url:
        yield url


@pytest.fixture
def client(chat_url: str) -> OpenAI:
    return OpenAI(base_url=f"{chat_url}/v1", api_key=KEY, max_retries=0, timeout=60)


def cited(real_components: Components, question: str) -> list[str]:
    return [c.passage.id for c in real_components.answerer.answer(question).citations]


def test_a_plain_completion_is_the_answer_with_its_sources(client: OpenAI, real_components: Components) -> None:
    completion = client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": SICHUAN}],
                                                max_tokens=50)
    answer = real_components.answerer.answer(SICHUAN)
    content = completion.choices[0].message.content or ""
    assert content.startswith(answer.text)
    assert "52.23" in content and completion.choices[0].finish_reason == "stop"
    assert content[len(answer.text):].startswith("\n\n来源：\n[1] ")
    extra = completion.model_extra["reportqa"]  # type: ignore[index]
    assert [c["passage_id"] for c in extra["citations"]] == cited(real_components, SICHUAN)
    assert extra["resolved_question"] == SICHUAN and extra["abstained"] is False


def test_a_streamed_completion_reassembles_into_the_plain_one(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "全国有多少个城市拥有国际互联网数据专用通道？"}]
    plain = client.chat.completions.create(model="reportqa", messages=messages)  # type: ignore[arg-type]
    chunks = list(client.chat.completions.create(model="reportqa", messages=messages, stream=True))  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert sum(bool(c.choices and c.choices[0].delta.content) for c in chunks) >= 2  # sentence by sentence
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["reportqa"]["citations"] == plain.model_extra["reportqa"]["citations"]  # type: ignore[index]


def test_a_three_turn_conversation_resolves_its_follow_ups(client: OpenAI, real_components: Components) -> None:
    messages: list[dict[str, str]] = []
    resolved = []
    for turn in (SICHUAN, "那进口呢", "北京呢？"):
        messages.append({"role": "user", "content": turn})
        completion = client.chat.completions.create(model="reportqa", messages=messages)  # type: ignore[arg-type]
        extra = completion.model_extra["reportqa"]  # type: ignore[index]
        resolved.append(extra["resolved_question"])
        assert [c["passage_id"] for c in extra["citations"]] == cited(real_components, extra["resolved_question"])
        messages.append({"role": "assistant", "content": completion.choices[0].message.content or ""})
    assert resolved == [SICHUAN, "四川省2022年可数字化交付服务进口额是多少?", "北京2022年可数字化交付服务进口额是多少?"]
    assert "16.60" in messages[3]["content"] and "319.22" in messages[5]["content"]


def test_a_wrong_key_is_an_authentication_error(chat_url: str) -> None:
    wrong = OpenAI(base_url=f"{chat_url}/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": SICHUAN}])
    assert info.value.status_code == 401
    assert info.value.body == {"message": "missing or wrong API key: send Authorization: Bearer <key>",
                               "type": "authentication_error", "param": None, "code": None}


@pytest.mark.parametrize(("messages", "message"), [
    ([{"role": "user", "content": SICHUAN}, {"role": "assistant", "content": "好"}],
     "messages: the last message must be a user message with text"),
    ([], "messages: List should have at least 1 item after validation, not 0"),
    ([{"role": "robot", "content": "x"}], "messages.0.role: Input should be 'system', 'developer', 'user', "
                                          "'assistant', 'tool' or 'function'"),
])
def test_a_bad_request_is_a_bad_request_error(client: OpenAI, messages: list[dict[str, str]], message: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="reportqa", messages=messages)  # type: ignore[arg-type]
    assert info.value.status_code == 400
    assert info.value.body["message"] == message and info.value.body["type"] == "invalid_request_error"  # type: ignore[index]


def test_models_list_one_per_report_and_scope_answers(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["reportqa", f"reportqa:{DOC_ID}"]
    scoped = client.chat.completions.create(model=f"reportqa:{DOC_ID}", messages=[{"role": "user", "content": SICHUAN}])
    assert "52.23" in (scoped.choices[0].message.content or "")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="reportqa:nothing", messages=[{"role": "user", "content": SICHUAN}])


def test_ask_takes_a_history(chat_url: str) -> None:
    body = httpx.post(f"{chat_url}/ask", json={"question": "那进口呢", "history": [SICHUAN]},
                      headers={"Authorization": f"Bearer {KEY}"}, timeout=60).json()
    assert (body["question"], body["resolved_question"]) == ("那进口呢", "四川省2022年可数字化交付服务进口额是多少?")
    assert "16.60" in body["answer"]
