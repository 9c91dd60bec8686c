"""Checks of the hand-built question set ``eval/questions.jsonl``, the two
held-out sets ``eval/holdout/{dev,test}.jsonl``, the helpers' sets
``eval/holdout/{train,fresh_bp}.jsonl`` and
``eval/casual/{dev,test,train,fresh_bp}.jsonl`` against the schema and
against the report they were built from."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reportqa.evaluation.metrics import is_correct, locate_quote
from reportqa.evaluation.runner import load_questions

EVAL = Path(__file__).resolve().parents[1] / "eval"
QUESTIONS = EVAL / "questions.jsonl"
# the hand-built sets, held to every check; the casual sets (written by helpers, typed as
# people type) to the schema and the report, not to the hand-built sets' quote lengths
BUILT_FILES = (QUESTIONS, EVAL / "holdout" / "dev.jsonl", EVAL / "holdout" / "test.jsonl")
CASUAL_FILES = (*(EVAL / "casual" / f"{name}.jsonl" for name in ("dev", "test", "train", "fresh_bp")),
                *(EVAL / "holdout" / f"{name}.jsonl" for name in ("train", "fresh_bp")))
QUESTION_FILES = (*BUILT_FILES, *CASUAL_FILES)
KEYS = {"id", "question", "answer", "must_include", "evidence", "type", "answerable"}
ANSWERABLE_TYPES = ("number", "entity", "list", "date", "table", "definition", "comparison", "paraphrase")
WHITESPACE = re.compile(r"\s+")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A question file's objects, one per non-empty line."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module", params=QUESTION_FILES, ids=lambda p: p.stem)
def question_file(request: pytest.FixtureRequest) -> Path:
    """Each question file in turn."""
    path: Path = request.param
    return path


@pytest.fixture(scope="module")
def rows(question_file: Path) -> list[dict[str, Any]]:
    """The question file's objects."""
    return read_rows(question_file)


@pytest.fixture(scope="module", params=BUILT_FILES, ids=lambda p: p.stem)
def built_rows(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Each hand-built question file's objects in turn."""
    return read_rows(request.param)


@pytest.fixture(scope="module")
def corpus(corpus_path: Path) -> str:
    """The corpus text the evidence is located in."""
    return corpus_path.read_text("utf-8")


def test_every_line_has_exactly_the_schema_keys_and_types(rows: list[dict[str, Any]]) -> None:
    bad = [r.get("id") for r in rows if set(r) != KEYS]
    assert bad == []
    for r in rows:
        assert isinstance(r["id"], str) and r["id"], r
        assert isinstance(r["question"], str) and r["question"].strip(), r["id"]
        assert isinstance(r["answer"], str) and r["answer"].strip(), r["id"]
        assert isinstance(r["must_include"], list) and all(isinstance(m, str) and m for m in r["must_include"])
        assert isinstance(r["evidence"], list) and all(isinstance(e, str) for e in r["evidence"])
        # a quote, not a character: a string evidence split into a list of its characters passes the rest
        assert all(len(WHITESPACE.sub("", e)) > 1 for e in r["evidence"]), r["id"]
        assert isinstance(r["answerable"], bool), r["id"]
        assert r["type"] in (*ANSWERABLE_TYPES, "unanswerable"), r["id"]


def test_the_runner_loads_the_file(question_file: Path, rows: list[dict[str, Any]]) -> None:
    assert [q.id for q in load_questions(question_file)] == [r["id"] for r in rows]


def test_ids_and_questions_are_unique(rows: list[dict[str, Any]]) -> None:
    assert [i for i, n in Counter(r["id"] for r in rows).items() if n > 1] == []
    assert [q for q, n in Counter(r["question"] for r in rows).items() if n > 1] == []


def test_size_and_spread_over_types() -> None:
    rows = read_rows(QUESTIONS)
    counts = Counter(r["type"] for r in rows)
    assert len(rows) >= 150
    assert {t: counts[t] for t in ANSWERABLE_TYPES if counts[t] < 12} == {}
    assert counts["unanswerable"] >= 20


def test_held_out_sets_share_no_question_with_the_main_set() -> None:
    main = {r["question"] for r in read_rows(QUESTIONS)}
    ids = [r["id"] for r in read_rows(QUESTIONS)]
    for path in QUESTION_FILES[1:]:  # the casual sets too: none repeats a main-set question or id
        held = read_rows(path)
        assert [r["question"] for r in held if r["question"] in main] == []
        assert [r["id"] for r in held if r["id"] in ids] == []


def test_answerable_matches_type(rows: list[dict[str, Any]]) -> None:
    mismatched = [r["id"] for r in rows if r["answerable"] != (r["type"] != "unanswerable")]
    assert mismatched == []


def test_unanswerable_questions_have_no_must_include_or_evidence(rows: list[dict[str, Any]]) -> None:
    bad = [r["id"] for r in rows if not r["answerable"] and (r["must_include"] or r["evidence"])]
    assert bad == []


def test_answerable_questions_have_must_include_and_evidence(built_rows: list[dict[str, Any]]) -> None:
    bad = [r["id"] for r in built_rows if r["answerable"]
           and not (1 <= len(r["must_include"]) <= 4 and 1 <= len(r["evidence"]) <= 2)]
    assert bad == []


def test_evidence_quotes_are_10_to_60_characters(built_rows: list[dict[str, Any]]) -> None:
    bad = [(r["id"], e) for r in built_rows for e in r["evidence"]
           if not 10 <= len(WHITESPACE.sub("", e)) <= 60]
    assert bad == []


def test_evidence_quotes_are_in_the_corpus(rows: list[dict[str, Any]], corpus: str) -> None:
    missing = [(r["id"], e) for r in rows for e in r["evidence"] if locate_quote(corpus, e) is None]
    assert missing == []


def test_must_include_strings_are_in_the_corpus(rows: list[dict[str, Any]], corpus: str) -> None:
    flat = WHITESPACE.sub("", corpus)
    missing = [(r["id"], m) for r in rows for m in r["must_include"] if WHITESPACE.sub("", m) not in flat]
    assert missing == []


def test_reference_answers_are_correct_answers(built_rows: list[dict[str, Any]]) -> None:
    # a reference answer is itself a correct answer: it holds every must_include string
    # and stays within the 200-character limit
    wrong = [r["id"] for r in built_rows
             if r["answerable"] and not is_correct(r["answer"], False, r["must_include"], True)]
    assert wrong == []
