"""The OpenAI-compatible chat API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

A chat client (the ``openai`` package, Open WebUI, LobeChat, LangChain's
``ChatOpenAI``) talks to the service as to an OpenAI model. The last user
message is the question; the earlier user messages are the conversation it is
resolved against (``那进口呢``). The assistant message is the answer with its
``[n]`` markers and a short list of sources; the structured citations and the
resolved question travel in the extra field ``reportqa`` (clients ignore it),
also in the last chunk of a stream. ``max_tokens``, ``temperature`` and the
other sampling fields are accepted and ignored: the answer is extractive.

Models: ``reportqa`` (every report) and ``reportqa:<doc_id>`` (one report).
Errors are in the OpenAI shape, ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from reportqa.api.deps import Loaded
from reportqa.rendering import AskResponse, CitationOut
from reportqa.service import Components

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "reportqa"
SENTENCE = re.compile(r".+?(?:[。！？!?](?:\[\d+\])*|$)", re.S)


class ContentPart(BaseModel):
    """A part of a message's content; text parts are read, others ignored."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """An OpenAI chat completion request (sampling fields accepted and ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="`reportqa`, or `reportqa:<doc_id>` for one report")
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    max_tokens: int | None = Field(default=None, description="ignored: the answer is extractive")


def _scope(model: str, loaded: Components) -> list[str] | None:
    """The reports a model id stands for; 404 for an unknown one."""
    if model == MODEL:
        return None
    doc_id = model.removeprefix(f"{MODEL}:")
    if model.startswith(f"{MODEL}:") and doc_id in loaded.index.manifest.documents:
        return [doc_id]
    raise HTTPException(404, f"The model `{model}` does not exist: GET /v1/models lists them")


def _turns(messages: list[ChatMessage]) -> tuple[list[str], str]:
    """The earlier user turns and the question (the last message, a user's)."""
    if messages[-1].role != "user" or not messages[-1].text().strip():
        raise HTTPException(400, "messages: the last message must be a user message with text")
    users = [m.text().strip() for m in messages if m.role == "user" and m.text().strip()]
    question = users[-1]
    if len(question) > 500:
        raise HTTPException(400, "messages: the question must be at most 500 characters")
    return users[:-1][-20:], question


def sources(citations: list[CitationOut]) -> str:
    """The short sources list under the answer: ``[n] title › section, 第p页``."""
    lines = []
    for c in citations:
        pages = f"第{c.page_start}页" if c.page_start == c.page_end else f"第{c.page_start}–{c.page_end}页"
        where = " › ".join([c.title, *c.section_path[-1:]])
        lines.append(f"[{c.n}] {where}，{pages}")
    return "\n\n来源：\n" + "\n".join(lines) if lines else ""


def _extra(response: AskResponse) -> dict[str, Any]:
    return {"question": response.question, "resolved_question": response.resolved_question or response.question,
            "abstained": response.abstained, "citations": [c.model_dump() for c in response.citations]}


def _answer(body: ChatRequest, loaded: Components) -> AskResponse:
    scope = _scope(body.model, loaded)
    history, question = _turns(body.messages)
    resolution, answer = loaded.answerer.answer_turn(history, question, doc_ids=scope)
    return AskResponse.of(answer, resolution.asked)


@router.get("/models")
def models(loaded: Loaded) -> dict[str, Any]:
    """The models: ``reportqa`` and one per report, ``reportqa:<doc_id>``."""
    created = int(time.time())
    ids = [MODEL, *(f"{MODEL}:{doc_id}" for doc_id in loaded.index.manifest.documents)]
    return {"object": "list", "data": [{"id": i, "object": "model", "created": created, "owned_by": "reportqa"}
                                        for i in ids]}


@router.post("/chat/completions", response_model=None)
def chat_completions(body: ChatRequest, loaded: Loaded) -> Any:
    """A chat completion, whole or streamed (``stream: true``) as server-sent events."""
    response = _answer(body, loaded)
    content = response.answer + sources(response.citations)
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if body.stream:
        return StreamingResponse(_stream(ident, created, body.model, response),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    return {
        "id": ident, "object": "chat.completion", "created": created, "model": body.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "reportqa": _extra(response),
    }


def _stream(ident: str, created: int, model: str, response: AskResponse) -> Iterator[str]:
    """The answer sentence by sentence (each with its markers), then the sources,
    then a last chunk with the finish reason and the citations, then ``[DONE]``."""
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for sentence in SENTENCE.findall(response.answer):
        if sentence:
            yield chunk({"content": sentence})
    tail = sources(response.citations)
    if tail:
        yield chunk({"content": tail})
    yield chunk({}, "stop", reportqa=_extra(response))
    yield "data: [DONE]\n\n"
