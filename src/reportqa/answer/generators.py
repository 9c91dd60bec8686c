"""Optional answer writers: a local transformers causal LM or an
OpenAI-compatible endpoint. They write from numbered passages; the
:class:`~reportqa.answer.composer.Answerer` checks their citations and
numbers and falls back to the extractive answer when a check fails.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import httpx

from reportqa.chunking import Passage

SYSTEM = (
    "你是报告问答助手。只根据给出的编号段落回答问题，回答简洁（不超过200字），"
    "每句话后用[编号]标注依据的段落；段落中没有答案时回答“报告中没有找到相关信息”。"
)


def build_prompt(question: str, passages: list[Passage]) -> str:
    """The user message: numbered passages, then the question."""
    numbered = "\n".join(f"[{k}] {p.text}" for k, p in enumerate(passages, start=1))
    return f"段落：\n{numbered}\n\n问题：{question}\n回答："


class Generator(Protocol):
    """Writes an answer with ``[n]`` markers that point into ``passages`` (1-based)."""

    def generate(self, question: str, passages: list[Passage]) -> str:
        """The raw answer text."""
        ...


class TransformersGenerator:
    """A local causal LM loaded once from a folder (greedy decoding).

    Args:
        model_path: folder with a transformers model and tokenizer.
        max_new_tokens: length limit of the answer.
    """

    def __init__(self, model_path: str, max_new_tokens: int = 160) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True)
        self.model.eval()
        self.max_new_tokens = max_new_tokens
        self.calls = 0
        self._lock = threading.Lock()

    def _inputs(self, question: str, passages: list[Passage]) -> dict[str, Any]:
        """The prompt as model inputs: through the model's chat template when
        it has one (an instruction-tuned model expects its own turn markers),
        else the system text and the user message as plain text."""
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": build_prompt(question, passages)}]
        if getattr(self.tokenizer, "chat_template", None):
            encoded: Any = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                              return_dict=True, return_tensors="pt")
            return dict(encoded)
        return dict(self.tokenizer(f"{SYSTEM}\n{build_prompt(question, passages)}", return_tensors="pt"))

    def generate(self, question: str, passages: list[Passage]) -> str:
        """See :class:`Generator`."""
        import torch

        with self._lock, torch.no_grad():
            self.calls += 1
            inputs = self._inputs(question, passages)
            pad = self.tokenizer.pad_token_id
            if pad is None:
                pad = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else 0
            out = self.model.generate(
                **inputs, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=pad  # type: ignore[arg-type]
            )
        new = out[0][inputs["input_ids"].shape[1] :]
        return str(self.tokenizer.decode(new, skip_special_tokens=True)).strip()


class OpenAIGenerator:
    """An OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        url: base URL, e.g. ``http://127.0.0.1:8080/v1``.
        model: the model name the endpoint expects.
        api_key: sent as a bearer token when given.
        timeout: seconds before giving up (then the extractive answer is used).
    """

    def __init__(self, url: str, model: str = "local", api_key: str | None = None,
                 timeout: float = 30.0) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        self.calls = 0

    def generate(self, question: str, passages: list[Passage]) -> str:
        """See :class:`Generator`."""
        self.calls += 1
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": build_prompt(question, passages)},
            ],
        }
        response = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"]).strip()
