"""Tests of ``reportqa.evaluation``: metric functions against hand-computed
values, the summary of per-question rows, and ``reportqa eval`` end to end.

The metric tests need no model. The ``reportqa eval`` tests run the command
as a subprocess against the session's real index (``real_components``).
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportqa.evaluation.metrics import (
    abstention_scores,
    answer_length,
    char_f1,
    covers,
    first_relevant_rank,
    is_correct,
    locate_quote,
    mrr_at,
    ndcg_at,
    normalize_answer,
    percentile,
    recall_at,
)
from reportqa.evaluation.results import AbstentionScore, QuestionResult, TypeScore
from reportqa.evaluation.runner import Evaluator, QuestionFileError, load_questions
from reportqa.service import Components

FIXTURES = Path(__file__).parent / "fixtures"
FIVE = FIXTURES / "five.jsonl"
T, F = True, False

# Five questions' retrieval results, relevance of rank 1, 2, ... (hand-built).
RELEVANCE = {
    "q1": [T, F, F, F, F],  # first hit relevant
    "q2": [F, T, F, T, F],  # relevant at ranks 2 and 4
    "q3": [F, F, F, F, F],  # nothing relevant
    "q4": [F, F, T, F, F],  # relevant at rank 3
    "q5": [F] * 10 + [T],  # relevant only at rank 11: outside every cut-off
}


# -- retrieval metrics --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        # recall@1, recall@3, recall@5, recall@10
        ("q1", (1.0, 1.0, 1.0, 1.0)),
        ("q2", (0.0, 1.0, 1.0, 1.0)),
        ("q3", (0.0, 0.0, 0.0, 0.0)),
        ("q4", (0.0, 1.0, 1.0, 1.0)),
        ("q5", (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_recall_at(qid: str, expected: tuple[float, float, float, float]) -> None:
    assert tuple(recall_at(RELEVANCE[qid], k) for k in (1, 3, 5, 10)) == expected


def test_mean_recall_over_the_five_questions() -> None:
    # recall@1: only q1 -> 1/5; recall@3: q1, q2, q4 -> 3/5; recall@10 the same (q5 is at 11)
    for k, expected in ((1, 0.2), (3, 0.6), (5, 0.6), (10, 0.6)):
        assert sum(recall_at(r, k) for r in RELEVANCE.values()) / 5 == pytest.approx(expected)


@pytest.mark.parametrize(
    ("qid", "expected"),
    # first relevant at 1 -> 1; at 2 -> 1/2; none -> 0; at 3 -> 1/3; at 11 -> 0 within @10
    [("q1", 1.0), ("q2", 0.5), ("q3", 0.0), ("q4", 1 / 3), ("q5", 0.0)],
)
def test_mrr_at_10(qid: str, expected: float) -> None:
    assert mrr_at(RELEVANCE[qid], 10) == pytest.approx(expected)


def test_mean_mrr_and_cut_off() -> None:
    # (1 + 1/2 + 0 + 1/3 + 0) / 5 = 11/30
    assert sum(mrr_at(r, 10) for r in RELEVANCE.values()) / 5 == pytest.approx(11 / 30)
    # q5's relevant result counts once the cut-off reaches rank 11
    assert mrr_at(RELEVANCE["q5"], 11) == pytest.approx(1 / 11)
    # q4's relevant result at rank 3 is cut off at 2
    assert mrr_at(RELEVANCE["q4"], 2) == 0.0


def test_first_relevant_rank() -> None:
    assert [first_relevant_rank(r) for r in RELEVANCE.values()] == [1, 2, None, 3, 11]


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        ("q1", 1.0),  # DCG 1 / ideal 1
        # two relevant retrieved: DCG 1/log2(3) + 1/log2(5), ideal 1/log2(2) + 1/log2(3)
        ("q2", (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))),
        ("q3", 0.0),  # no relevant result: DCG 0
        ("q4", 0.5),  # 1/log2(4) = 1/2, ideal 1
        ("q5", 0.0),  # the relevant result at 11 is outside @10
    ],
)
def test_ndcg_at_10(qid: str, expected: float) -> None:
    assert ndcg_at(RELEVANCE[qid], 10) == pytest.approx(expected)


def test_ndcg_with_a_known_number_of_relevant_passages() -> None:
    # one of two relevant passages found, at rank 1: 1 / (1 + 1/log2 3)
    assert ndcg_at([T, F, F], 10, n_relevant=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # the ideal is capped at k: 3 relevant but k=1 -> ideal 1, DCG 1
    assert ndcg_at([T, T, T], 1, n_relevant=3) == pytest.approx(1.0)
    assert ndcg_at([], 10) == 0.0


# -- answers --------------------------------------------------------------------------------


def test_normalize_answer_removes_markers_and_whitespace_after_nfkc() -> None:
    # full-width digits and letters become ASCII (NFKC); markers and all whitespace go
    assert normalize_answer("出口额为 ４.１\n万亿美元[1]，ＷＴＯ[12]") == "出口额为4.1万亿美元,WTO"
    assert answer_length("ab c[1]\n[2]") == 3


def test_is_correct_for_answerable_questions() -> None:
    answer = "2022年全球可数字化交付服务出口额为 4.1 万亿美元[1]。"
    assert is_correct(answer, False, ["4.1万亿美元"], True)
    # every must_include string is needed
    assert not is_correct(answer, False, ["4.1万亿美元", "3.4%"], True)
    # NFKC on both sides: a full-width reference string matches
    assert is_correct(answer, False, ["４.１万亿美元"], True)
    # a marker inside the figure does not break it
    assert is_correct("出口额为4.1[2]万亿美元", False, ["4.1万亿美元"], True)
    # abstaining is wrong on an answerable question, even if the text happens to match
    assert not is_correct(answer, True, ["4.1万亿美元"], True)


def test_is_correct_length_limit_excludes_markers_and_whitespace() -> None:
    exactly = "数" * 199 + "7"
    assert is_correct(exactly, False, ["7"], True)
    assert is_correct(" ".join(exactly) + "[1][2]", False, ["7"], True)  # 200 characters counted
    assert not is_correct("数" * 200 + "7", False, ["7"], True)  # 201 characters
    assert is_correct("数" * 201 + "7", False, ["7"], True, max_chars=202)


def test_is_correct_for_unanswerable_questions() -> None:
    # correct only when abstained, whatever the text
    assert is_correct("报告中没有找到相关信息", True, [], False)
    assert not is_correct("韩国出口额为1000亿美元[1]", False, [], False)
    assert not is_correct("报告中没有找到相关信息", False, [], False)


def test_char_f1_exact_values() -> None:
    # 7 predicted characters all in the 8-character reference: P 1, R 7/8 -> F1 14/15
    assert char_f1("4.1万亿美元", "4.1万亿美元。") == pytest.approx(14 / 15)
    # bag of characters: "aab" vs "ab": common 2, P 2/3, R 1 -> F1 0.8
    assert char_f1("aab", "ab") == pytest.approx(0.8)
    # markers, whitespace and width do not count
    assert char_f1("ＡＢ [1]", "AB") == 1.0
    # no character in common, or one side empty
    assert char_f1("甲乙", "丙丁") == 0.0
    assert char_f1("", "丙丁") == 0.0
    assert char_f1("甲", "") == 0.0
    assert char_f1("", "") == 1.0
    # "出口额52" vs "出口额52.23": common 5, P 5/5, R 5/8 -> 2*(5/8)/(1+5/8) = 10/13
    assert char_f1("出口额52", "出口额52.23") == pytest.approx(10 / 13)


def test_abstention_scores_on_five_questions() -> None:
    abstained = [T, T, F, F, T]
    answerable = [F, T, T, F, F]
    # positives are the unanswerable q1, q4, q5: abstained on q1 and q5 (tp 2), not on q4 (fn 1);
    # abstained on the answerable q2 (fp 1) out of 2 answerable questions
    assert abstention_scores(abstained, answerable) == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "false_abstention_rate": 1 / 2}
    )


def test_abstention_scores_without_abstentions_or_answerable_questions() -> None:
    assert abstention_scores([F, F], [T, F]) == {"precision": 0.0, "recall": 0.0,
                                                 "false_abstention_rate": 0.0}
    assert abstention_scores([T, T], [F, F]) == {"precision": 1.0, "recall": 1.0,
                                                 "false_abstention_rate": 0.0}
    with pytest.raises(ValueError):
        abstention_scores([T], [T, F])


def test_percentile_interpolates_linearly() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # unsorted on purpose
    assert percentile(values, 50) == 25.0  # position 1.5 between 20 and 30
    assert percentile(values, 95) == pytest.approx(38.5)  # position 2.85: 30 + 0.85 * 10
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0


# -- evidence location ---------------------------------------------------------------------

CORPUS = "一、总规模再创历史新高\n\n2022 年，中国可数字化交付的服务进出口额为 3727.1\n\n亿美元，同比增长 3.4%。"


def test_locate_quote_ignores_whitespace_across_line_breaks() -> None:
    quote = "中国可数字化交付的服务进出口额为3727.1亿美元"
    start = CORPUS.index("中国可")
    end = CORPUS.index("亿美元") + 3
    assert locate_quote(CORPUS, quote) == (start, end)
    # whitespace in the quote is ignored too
    assert locate_quote(CORPUS, "2022年，中国") == (CORPUS.index("2022"), CORPUS.index("中国") + 2)
    assert locate_quote(CORPUS, "3727.1 \n 亿美元") == (CORPUS.index("3727.1"), end)


def test_locate_quote_misses() -> None:
    assert locate_quote(CORPUS, "3727.2亿美元") is None
    assert locate_quote(CORPUS, " \n ") is None
    assert locate_quote(CORPUS, "") is None


def test_covers_needs_half_of_the_quote_characters() -> None:
    corpus = "0123456789"
    quote = (0, 10)
    assert covers((0, 5), quote, corpus)  # 5 of 10
    assert not covers((0, 4), quote, corpus)  # 4 of 10
    assert covers((5, 100), quote, corpus)  # 5 of 10 from the other side
    assert not covers((6, 100), quote, corpus)
    assert not covers((10, 20), quote, corpus)  # touching, not overlapping
    assert covers((2, 8), quote, corpus)  # 6 of 10 in the middle


def test_covers_counts_only_non_space_characters() -> None:
    corpus = "AB CD\nEF GH IJ"  # 10 non-space characters
    quote = (0, len(corpus))
    assert covers((0, 7), quote, corpus)  # "AB CD\nE": 5 characters
    assert not covers((0, 6), quote, corpus)  # "AB CD\n": 4 characters
    assert not covers((0, 3), (2, 3), corpus)  # a quote of only whitespace is never covered


# -- summary ---------------------------------------------------------------------------------


def _row(qid: str, qtype: str, correct: bool, abstained: bool, answerable: bool,
         rank: int | None, f1: float) -> QuestionResult:
    return QuestionResult(id=qid, type=qtype, correct=correct, abstained=abstained, answer="", cited=(),
                          first_relevant_rank=rank, support=0.0, answerable=answerable, abstain_reason=None,
                          char_f1=f1, question=f"question {qid}", reference="", must_include=())


def test_summarise_five_rows() -> None:
    rows = [
        _row("r1", "number", T, F, T, 1, 1.0),
        _row("r2", "number", F, T, T, 7, 0.0),
        _row("r3", "table", T, F, T, 3, 0.5),
        _row("r4", "list", F, F, T, None, 0.25),
        _row("r5", "unanswerable", T, T, F, None, 1.0),
    ]
    retrieval = {"recall@1": [1.0, 0.0, 0.0, 0.0], "recall@3": [1.0, 0.0, 1.0, 0.0],
                 "recall@5": [1.0, 0.0, 1.0, 0.0], "recall@10": [1.0, 1.0, 1.0, 0.0],
                 "mrr@10": [1.0, 1 / 7, 1 / 3, 0.0], "ndcg@10": [1.0, 1 / 3, 0.5, 0.0]}
    # answered answerable questions r1, r3, r4 (3); they cite 4 passages, 2 relevant; r1 and r3
    # have a relevant citation (2)
    summary = Evaluator.summarise(rows, retrieval, [500.0, 100.0, 300.0, 200.0, 400.0], "hybrid",
                                  (2, 4, 3, 2))
    assert summary.accuracy == 0.6 and summary.by_type["number"] == TypeScore(n=2, accuracy=0.5, recall_at_5=0.5)
    assert summary.abstention == AbstentionScore(precision=0.5, recall=1.0, false_abstention_rate=0.25)
    assert [q.id for q in summary.failures] == ["r2", "r4"]
    assert summary.to_json() == {
        "questions": 5,
        "mode": "hybrid",
        "retrieval": {"recall@1": 0.25, "recall@3": 0.5, "recall@5": 0.5, "recall@10": 0.75,
                      # (1 + 1/7 + 1/3) / 4 = 0.36905; (1 + 1/3 + 1/2) / 4 = 0.45833
                      "mrr@10": 0.369, "ndcg@10": 0.4583},
        # 3 of 5 correct; F1 (1 + 0 + 0.5 + 0.25 + 1) / 5
        "answer": {"accuracy": 0.6, "char_f1": 0.55},
        # abstained on r5 (unanswerable: tp) and r2 (answerable: fp), no fn; 1 of 4 answerable
        "abstention": {"precision": 0.5, "recall": 1.0, "false_abstention_rate": 0.25},
        "citation": {"precision": 0.5, "recall": 0.6667},
        # sorted 100..500: p50 300, p95 at position 3.8: 400 + 0.8 * 100
        "latency_ms": {"p50": 300.0, "p95": 480.0},
        "by_type": {
            "number": {"n": 2, "accuracy": 0.5, "recall@5": 0.5},  # ranks 1 and 7
            "list": {"n": 1, "accuracy": 0.0, "recall@5": 0.0},  # nothing relevant retrieved
            "table": {"n": 1, "accuracy": 1.0, "recall@5": 1.0},
            "unanswerable": {"n": 1, "accuracy": 1.0, "recall@5": None},
        },
        "per_question": [
            {"id": r.id, "type": r.type, "correct": r.correct, "abstained": r.abstained, "answer": "",
             "cited": [], "first_relevant_rank": r.first_relevant_rank, "support": 0.0,
             "answerable": r.answerable, "abstain_reason": None, "char_f1": r.char_f1,
             "question": f"question {r.id}", "reference": "", "must_include": []} for r in rows
        ],
    }
    # by_type and the JSON keys follow the order of the question types and of the contract
    assert list(summary.by_type) == ["number", "list", "table", "unanswerable"]
    assert list(summary.to_json()["per_question"][0]) == list(ROW_ORDER)


def test_summarise_without_citations_or_latencies() -> None:
    rows = [_row("u", "unanswerable", F, F, F, None, 0.0)]
    summary = Evaluator.summarise(rows, {"recall@5": []}, [], "bm25", (0, 0, 0, 0)).to_json()
    assert summary["retrieval"] == {"recall@5": 0.0}
    assert summary["citation"] == {"precision": 0.0, "recall": 0.0}
    assert summary["latency_ms"] == {"p50": 0.0, "p95": 0.0}
    assert summary["abstention"] == {"precision": 0.0, "recall": 0.0, "false_abstention_rate": 0.0}


# -- question files --------------------------------------------------------------------------


def test_load_the_five_question_fixture() -> None:
    questions = load_questions(FIVE)
    assert [q.id for q in questions] == ["f1", "f2", "f3", "f4", "f5"]
    assert [q.type for q in questions] == ["number", "table", "paraphrase", "list", "unanswerable"]
    assert [q.answerable for q in questions] == [T, T, T, T, F]
    assert questions[1].must_include == ("52.23",)
    assert questions[4].evidence == ()


GOOD_LINE = FIVE.read_text("utf-8").splitlines()[0]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"id": "x", "question": "q"}), "keys must be exactly"),
        (GOOD_LINE.replace('"type": "number"', '"type": "numeric"').replace('"f1"', '"x1"'),
         "unknown type 'numeric'"),
        (GOOD_LINE, "duplicate id 'f1'"),
    ],
)
def test_load_questions_names_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{GOOD_LINE}\n\n{bad_line}\n", "utf-8")
    with pytest.raises(QuestionFileError) as info:
        load_questions(path)
    assert str(info.value).startswith(f"{path}:3: {message}")


# -- reportqa eval ------------------------------------------------------------------------------

RUN = Callable[..., subprocess.CompletedProcess[str]]
TOP_KEYS = {"questions", "mode", "retrieval", "answer", "abstention", "citation", "latency_ms", "by_type",
            "per_question"}
RETRIEVAL_KEYS = {"recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
ROW_ORDER = ("id", "type", "correct", "abstained", "answer", "cited", "first_relevant_rank", "support", "answerable",
             "abstain_reason", "char_f1", "question", "reference", "must_include")
ROW_KEYS = {"id", "type", "correct", "abstained", "answer", "cited", "first_relevant_rank"}


def _env(components: Components) -> dict[str, str]:
    return {"REPORTQA_INDEX_DIR": str(components.settings.index_dir),
            "REPORTQA_CORPUS_DIR": str(components.settings.corpus_dir), "HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="module")
def expected_five(real_components: Components) -> dict[str, Any]:
    """The five-question evaluation computed in this process."""
    corpora = {s.doc_id: s.text for s in real_components.sources}
    return Evaluator(real_components.answerer, corpora).run(load_questions(FIVE), "hybrid").to_json()


@pytest.fixture(scope="module")
def eval_hybrid(real_components: Components, run_cli: RUN,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, str]:
    """``reportqa eval --questions five.jsonl --json OUT --report DIR`` run once."""
    base = tmp_path_factory.mktemp("eval-hybrid")
    out, report = base / "out" / "eval.json", base / "report"
    result = run_cli("eval", "--questions", str(FIVE), "--json", str(out), "--report", str(report),
                     env=_env(real_components), timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text("utf-8")), report, result.stdout


def _without_timing(result: dict[str, Any]) -> dict[str, Any]:
    rows = [{k: v for k, v in row.items() if k != "support"} for row in result["per_question"]]
    return {**{k: v for k, v in result.items() if k != "latency_ms"}, "per_question": rows}


@pytest.mark.slow
def test_eval_json_contract(eval_hybrid: tuple[dict[str, Any], Path, str]) -> None:
    data, _, _ = eval_hybrid
    assert set(data) == TOP_KEYS
    assert data["questions"] == 5
    assert data["mode"] == "hybrid"
    assert set(data["retrieval"]) == RETRIEVAL_KEYS
    assert set(data["answer"]) == {"accuracy", "char_f1"}
    assert set(data["abstention"]) == {"precision", "recall", "false_abstention_rate"}
    assert set(data["citation"]) == {"precision", "recall"}
    assert set(data["latency_ms"]) == {"p50", "p95"}
    assert 0 < data["latency_ms"]["p50"] <= data["latency_ms"]["p95"]
    assert list(data["by_type"]) == ["number", "list", "table", "paraphrase", "unanswerable"]
    assert all(set(v) == {"n", "accuracy", "recall@5"} and v["n"] == 1 for v in data["by_type"].values())
    assert data["by_type"]["unanswerable"]["recall@5"] is None
    assert [row["id"] for row in data["per_question"]] == ["f1", "f2", "f3", "f4", "f5"]
    assert all(set(row) >= ROW_KEYS for row in data["per_question"])


@pytest.mark.slow
def test_eval_figures_on_the_five_questions(eval_hybrid: tuple[dict[str, Any], Path, str],
                                            real_components: Components) -> None:
    data, _, stdout = eval_hybrid
    rows = {row["id"]: row for row in data["per_question"]}
    # every question of the fixture is answered right and the unanswerable one abstains
    assert [rows[q]["correct"] for q in rows] == [T, T, T, T, T]
    assert data["answer"]["accuracy"] == 1.0
    assert data["abstention"] == {"precision": 1.0, "recall": 1.0, "false_abstention_rate": 0.0}
    assert rows["f5"] == {**rows["f5"], "abstained": True, "cited": [], "first_relevant_rank": None,
                          "answer": "报告中没有找到相关信息"}
    # the table question cites the 表2 四川 row, which covers its evidence
    sichuan = [p.id for p in real_components.index.passages
               if p.kind == "table_row" and p.text.startswith("表2 ") and "四川：" in p.text]
    assert len(sichuan) == 1
    assert rows["f2"]["cited"] == sichuan
    assert "52.23" in rows["f2"]["answer"]
    # retrieval means follow from the per-question first relevant ranks
    ranks = [rows[q]["first_relevant_rank"] for q in ("f1", "f2", "f3", "f4")]
    assert all(r is not None for r in ranks)
    for k in (1, 3, 5, 10):
        assert data["retrieval"][f"recall@{k}"] == pytest.approx(sum(r <= k for r in ranks) / 4, abs=1e-4)
    assert data["retrieval"]["mrr@10"] == pytest.approx(sum(1 / r for r in ranks) / 4, abs=1e-4)
    assert data["answer"]["char_f1"] == pytest.approx(
        sum(row["char_f1"] for row in data["per_question"]) / 5, abs=1e-4)
    assert stdout.splitlines()[0].startswith("hybrid: recall@5 1.000 ")


@pytest.mark.slow
def test_eval_command_equals_the_library(eval_hybrid: tuple[dict[str, Any], Path, str],
                                         expected_five: dict[str, Any]) -> None:
    data, _, _ = eval_hybrid
    assert _without_timing(data) == _without_timing(expected_five)


@pytest.mark.slow
def test_eval_report_folder(eval_hybrid: tuple[dict[str, Any], Path, str]) -> None:
    _, report, _ = eval_hybrid
    assert sorted(p.name for p in report.iterdir()) == ["accuracy_by_type.png", "report.md"]
    assert (report / "accuracy_by_type.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (report / "report.md").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# reportqa evaluation"
    assert f"Command: `reportqa eval --questions {FIVE} --json " in text
    assert any(line.startswith("| hybrid | 5 | ") for line in lines)
    assert "| table | 1 | 1.000 | 1.000 |" in lines
    assert "| unanswerable | 1 | 1.000 | - |" in lines
    assert "## Failures (hybrid): 0" in lines
    assert "![accuracy by type](accuracy_by_type.png)" in lines


@pytest.fixture(scope="module")
def eval_all(real_components: Components, run_cli: RUN,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    """``reportqa --corpus-dir C --index-dir I eval --mode all ...`` run once: the JSON, the
    report's text and the command line."""
    base = tmp_path_factory.mktemp("eval-all")
    out, report = base / "all.json", base / "report"
    settings = real_components.settings
    args = ["--corpus-dir", str(settings.corpus_dir), "--index-dir", str(settings.index_dir), "eval",
            "--questions", str(FIVE), "--mode", "all", "--json", str(out), "--report", str(report)]
    result = run_cli(*args, env={"HF_HUB_OFFLINE": "1"}, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text("utf-8")), (report / "report.md").read_text("utf-8"), " ".join(args)


@pytest.mark.slow
def test_eval_all_modes(eval_all: tuple[dict[str, Any], str, str],
                        eval_hybrid: tuple[dict[str, Any], Path, str]) -> None:
    data, text, _ = eval_all
    assert list(data) == ["modes"]
    assert list(data["modes"]) == ["hybrid", "dense", "bm25"]
    for mode, r in data["modes"].items():
        assert set(r) == TOP_KEYS
        assert r["mode"] == mode
        assert r["questions"] == 5
        assert set(r["retrieval"]) == RETRIEVAL_KEYS
        assert [row["id"] for row in r["per_question"]] == ["f1", "f2", "f3", "f4", "f5"]
    # the hybrid part equals the single-mode run
    assert _without_timing(data["modes"]["hybrid"]) == _without_timing(eval_hybrid[0])
    # one table row per mode, and the failures of each mode
    for mode in ("hybrid", "dense", "bm25"):
        assert any(line.startswith(f"| {mode} | 5 | ") for line in text.splitlines())
        assert f"## Failures ({mode}): " in text
    assert "| type | n | hybrid acc | hybrid R@5 | dense acc | dense R@5 | bm25 acc | bm25 R@5 |" in text


@pytest.mark.slow
def test_eval_report_names_the_command_with_global_options(eval_all: tuple[dict[str, Any], str, str]) -> None:
    _, text, args = eval_all
    # the recorded command reproduces the run: global options before the sub-command included
    assert f"Command: `reportqa {args}`" in text


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (f"{GOOD_LINE}\n{{oops\n", 2, "not JSON"),
        (f"{GOOD_LINE}\n\n{json.dumps({'id': 'x'})}\n", 3, "keys must be exactly"),
        (f"{GOOD_LINE}\n{GOOD_LINE}\n", 2, "duplicate id 'f1'"),
    ],
)
def test_eval_rejects_a_malformed_question_file(tmp_path: Path, run_cli: RUN, content: str, line: int,
                                                message: str) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(content, "utf-8")
    # no index is needed: the file is checked before anything loads
    result = run_cli("--index-dir", str(tmp_path / "no-index"), "eval", "--questions", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"reportqa: error: {path}:{line}: {message}")
    assert "Traceback" not in result.stderr


def test_eval_rejects_a_missing_question_file(tmp_path: Path, run_cli: RUN) -> None:
    path = tmp_path / "missing.jsonl"
    result = run_cli("--index-dir", str(tmp_path / "no-index"), "eval", "--questions", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"reportqa: error: {path}: question file not found"]
