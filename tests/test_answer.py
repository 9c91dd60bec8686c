"""Tests of the answer composer: the number check on its own, then cited
answers from the real model and index (``components``), and the JSON
contract of ``reportqa ask --json``."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

import numpy as np
import pytest

from conftest import STORES, on_both_stores
from reportqa.answer import ABSTAIN_TEXT, Answer, numbers_supported
from reportqa.answer.composer import numbers_in
from reportqa.answer.reader import ANSWER_FEATURES, CANDIDATE_FEATURES, OWN_FEATURES
from reportqa.chunking import Passage, Sentence
from reportqa.evaluation.metrics import answer_length
from reportqa.rendering import answer_json
from reportqa.segment.tokenizer import normalize
from reportqa.service import Components


# -- one suite, both stores: every test here runs on the index files and on Milvus Lite
@pytest.fixture(params=STORES)
def components(request: pytest.FixtureRequest, real_components: Components) -> Components:
    """The real index in the file store, then in Milvus."""
    return on_both_stores(request, real_components, "real_milvus")  # type: ignore[return-value]




MARKER = re.compile(r"\[(\d+)\]")
SEGMENT = re.compile(r"(.*?)\[(\d+)\]", re.S)
SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"
UNANSWERABLE = "2022年韩国可数字化服务出口额是多少？"
# the passage holding the report's definition of 数字贸易 (its footnote: 数字贸易是指，以数据资源为关键生产要素…)
DEFINITION = "p-e5393cd5628d"

# Questions of every kind that the report answers with figures: (question, a figure the answer holds).
WITH_FIGURES = [
    ("据WTO统计，2022年全球可数字化交付服务出口额是多少？", "4.1万亿美元"),  # number
    ("截至2022年底，中国光缆线路总长度达到多少？", "5958万公里"),  # number
    ("中国累计建成开通了多少个5G基站？", "231.2万个"),  # number
    (SICHUAN, "52.23"),  # table row
    ("表1中，2022年美国可数字化服务贸易进出口额是多少？", "10478.31"),  # table row
    ("预计全球电子商务零售额将在哪一年突破7万亿美元？", "2025年"),  # date
    ("2022年中部、西部和东北地区中，哪个地区的可数字化交付服务贸易规模最大？", "151.38亿美元"),  # comparison
    ("2022年中国创新能力在全球创新指数中的综合排名与2012年相比有何变化？", "第11位"),  # comparison
    # a paraphrase of the route (西部陆海新通道); asked in 集装箱 for the report's 标箱 it is now withheld
    # ("no retrieved passage counts 集装箱"): a synonym no feature reads
    ("2022年重庆借助西南出海的那条陆海物流通道运了多少标箱？", "14.8万标箱"),
    ("“2022中国数字经济100强”入选企业的总市值是多少？", "16.5万亿元"),  # entity-like figure
]
FIGURE_IDS = ["wto-export", "fibre", "5g", "sichuan", "usa-table", "ecommerce-2025", "regions",
              "innovation-rank", "chongqing", "top100"]
# List questions whose answers may span sentences of two passages.
LIST_QUESTIONS = [
    "在全球数字贸易规则中，各经济体在哪些议题上进行规则协调？",
    "为塑造数字贸易发展新动能，报告提出要培育哪些新模式新业态？",
]


def passage(text: str, pid: str = "p-test") -> Passage:
    """A passage with one sentence, for tests that need no index."""
    return Passage(pid, "doc", "prose", text, ("一、测试",), 1, 1, 0, len(text), ((0, len(text)),),
                   (Sentence(text, 0, len(text)),))


# -- the number check ------------------------------------------------------------------------


def test_numbers_in_reads_decimals_and_full_width_digits() -> None:
    assert numbers_in("出口额５２.２３亿美元，增速8.12%，2022年") == {"52.23", "8.12", "2022"}
    assert numbers_in("没有数字") == set()


def test_numbers_supported_by_a_cited_passage() -> None:
    cited = [passage("四川：进出口额68.83，增速8.82%；出口额52.23，增速8.12%")]
    assert numbers_supported("四川出口额52.23亿美元，增速8.12%[1]", cited)
    # a number in the second cited passage counts
    assert numbers_supported("出口额52.23[1]，2022年[2]", [*cited, passage("2022年", "p-2")])
    # the digits of a citation marker are not numbers of the answer
    assert numbers_supported("增速8.12%[3]", cited)
    # an answer without numbers needs nothing
    assert numbers_supported("没有数字[1]", cited)


def test_numbers_not_in_the_cited_passages_fail() -> None:
    cited = [passage("四川：进出口额68.83，增速8.82%；出口额52.23，增速8.12%")]
    assert not numbers_supported("四川出口额52.24亿美元[1]", cited)
    assert not numbers_supported("出口额52.23，进口额16.60[1]", cited)
    assert not numbers_supported("出口额52.23[1]", [])


def test_numbers_supported_compares_whole_numbers() -> None:
    # "52" is not a number of "52.23", and "3" is not one of "2023年": a figure must
    # appear as itself, not as a piece of a longer figure
    cited = [passage("2023年出口额52.23亿美元")]
    assert not numbers_supported("出口额52亿美元[1]", cited)
    assert not numbers_supported("增长3%[1]", cited)
    assert not numbers_supported("出口额2.23亿美元[1]", cited)


def test_numbers_on_either_side_of_a_marker_stay_apart() -> None:
    # a table row ending in a figure, then a sentence opening with a year
    cited = [passage("2020年1380"), passage("2022年，总产出1456.7亿元", "p-2")]
    assert numbers_supported("2020年1380[1]2022年，总产出1456.7亿元[2]", cited)


# -- answers from the real model -------------------------------------------------------------


def cited_segments(answer: Answer) -> list[tuple[str, Passage]]:
    """The answer's pieces, each with the passage its marker points at."""
    by_n = {c.n: c.passage for c in answer.citations}
    return [(text, by_n[int(n)]) for text, n in SEGMENT.findall(answer.text)]


# a statement computed from cited figures: a comparison's or superlative's conclusion, or the cells
# looked up in a named row (四川：出口额52.23亿美元。)
CONCLUSION = re.compile(r"）(?:最[高低大小多少快慢]|[高低大小多少快慢]于)|^[^，。：]{2,40}：[^：。]*\d[^：]*。$")


def whole_number_in(number: str, text: str) -> bool:
    """``number`` appears in ``text`` as a number of its own."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", normalize(text)) is not None


@pytest.mark.slow
@pytest.mark.parametrize("question", [q for q, _ in WITH_FIGURES[:4]] + LIST_QUESTIONS,
                         ids=[*FIGURE_IDS[:4], "rules", "new-models"])
def test_markers_match_the_citations(components: Components, question: str) -> None:
    answer = components.answerer.answer(question)
    assert not answer.abstained
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert {int(n) for n in MARKER.findall(answer.text)} == set(numbers)
    # every piece of text ends in a marker: no uncited sentence
    assert MARKER.sub("", SEGMENT.sub("", answer.text)) == ""
    assert len({c.passage.id for c in answer.citations}) == len(numbers)
    for c in answer.citations:
        # the quote is a sentence of the cited passage, located inside the passage's span
        assert c.quote in c.passage.text
        assert c.passage.start <= c.quote_start < c.quote_end <= c.passage.end


@pytest.mark.slow
def test_a_sentence_of_which_reads_the_sentence_before_it(components: Components) -> None:
    # 跨境电商 is stated once, in the sentence before 其中，出口额达…: its figure measures 跨境电商出口额
    answerer = components.answerer
    q = answerer.analyze("跨境电商出口额2022年多少")
    vector, hits = answerer.retrieve(q)
    measured = {c.text: c.features[OWN_FEATURES.index("measured")] for c in answerer.candidates(q, vector, hits)}
    assert measured["其中，出口额达1.55万亿元，同比增长11.7%。"] == 1.0
    # the one after a sentence on 可数字化交付的服务: 出口 of the head 出口额, no qualifier (2 / 3 × 0.5)
    assert measured["其中，出口2105.4亿美元，同比增长7.6%；"] == pytest.approx(1 / 3)


@pytest.mark.slow
def test_a_sentence_of_which_is_shown_after_its_topic(components: Components) -> None:
    answer = components.answerer.answer("高技术产业实际用外资22年多少 涨了多少")
    # 其中 alone does not say of what: the sentence before it comes first, and the two share one marker
    assert answer.text == ("2022年，中国吸收外资实现稳定增长，首次突破1.2万亿元人民币，按可比口径，同比增长6.3%，"
                           "规模再创历史新高。其中，高技术产业实际使用外资4449.5亿元，增长28.3%，"
                           "带动吸收外资的质量进一步提升。[1]")
    # the quote a reader opens is the sentence the answer rests on
    assert [c.quote for c in answer.citations] == ["其中，高技术产业实际使用外资4449.5亿元，增长28.3%，带动吸收外资的质量进一步提升。"]


@pytest.mark.slow
def test_search_reads_the_query_as_the_answer_path_does(components: Components) -> None:
    # 跨电 is no word of the report; the search text adds the long form the report gives it (跨境电商)
    found = components.answerer.search("跨电出口多少", 3, "bm25")
    assert [h.passage.id for h in found] == ["p-6677b146365b", "p-0837aeb90972", "p-f79abf8e500f"]
    assert all("跨境电商" in h.passage.text for h in found)
    raw = components.retriever.search("跨电出口多少", 1, "bm25")  # the raw text alone finds none of them
    assert raw[0].passage.id == "p-dbc6626f9b5b" and "跨境电商" not in raw[0].passage.text


@pytest.mark.slow
@pytest.mark.parametrize(("question", "figure"), WITH_FIGURES, ids=FIGURE_IDS)
def test_every_number_appears_in_a_cited_passage(components: Components, question: str,
                                                 figure: str) -> None:
    answer = components.answerer.answer(question)
    assert not answer.abstained
    assert figure in answer.text
    body = MARKER.sub("", answer.text)
    assert numbers_in(body)  # the check below is not vacuous
    assert numbers_supported(answer.text, [c.passage for c in answer.citations])
    for text, cited in cited_segments(answer):
        # extractive: each piece is the cited passage's own text, but for a
        # conclusion computed from the figures (西部（151.38亿美元）最大); its numbers are there
        if not CONCLUSION.search(text):
            assert normalize(text) in normalize(cited.text), (text, cited.text)
        for number in numbers_in(text):
            assert whole_number_in(number, cited.text), (number, cited.text)


@pytest.mark.slow
@pytest.mark.parametrize("question", [q for q, _ in WITH_FIGURES] + LIST_QUESTIONS,
                         ids=[*FIGURE_IDS, "rules", "new-models"])
def test_answers_are_at_most_200_characters(components: Components, question: str) -> None:
    answer = components.answerer.answer(question)
    assert 0 < answer_length(answer.text) <= 200
    assert len(MARKER.findall(answer.text)) <= 3  # 1-3 sentences, one marker each


@pytest.mark.slow
def test_unanswerable_question_abstains(components: Components) -> None:
    answer = components.answerer.answer(UNANSWERABLE)
    assert answer.abstained is True
    assert answer.text == ABSTAIN_TEXT == "报告中没有找到相关信息"
    assert answer.citations == ()
    # the closest passages come along as "see also", and the JSON form carries them
    assert 1 <= len(answer.see_also) <= 3
    data = answer_json(answer)
    assert data["citations"] == []
    assert [s["passage_id"] for s in data["see_also"]] == [p.id for p in answer.see_also]


@pytest.mark.slow
def test_cells_looked_up_in_two_rows_come_with_both_rows(components: Components) -> None:
    answer = components.answerer.answer("德国和英国数字服务进口分别多少")
    # each row after the statement, the caption with the first only, each citing its own row
    assert answer.text == (
        "德国：进口2230.88亿美元；英国：进口1850.15亿美元。[1][2]"
        "表1 2022年全球主要经济体可数字化服务贸易规模及增速（单位：亿美元；%）"
        "德国：进出口4598.78，同比-2.54%；出口2367.90，同比-5.92%；进口2230.88，同比1.32%[1]"
        "英国：进出口5630.28，同比-1.88%；出口3780.13，同比-0.58%；进口1850.15，同比-4.44%[2]")
    assert [(c.n, c.passage.kind, c.passage.text.split("）")[-1][:2]) for c in answer.citations] == [
        (1, "table_row", "德国"), (2, "table_row", "英国")]


@pytest.mark.slow
def test_sichuan_table_row_answer(components: Components) -> None:
    answer = components.answerer.answer(SICHUAN)
    # 四川省 is the row 四川: the cell asked, looked up, then the row it reads (every cell, the caption once)
    assert answer.text == ("四川：出口额52.23亿美元。[1]表2 2022年12个基地所在省市可数字化交付服务贸易情况（单位：亿美元；%）"
                           "四川：进出口额68.83，增速8.82%；出口额52.23，增速8.12%；进口额16.60，增速11.06%[1]")
    assert len(answer.citations) == 1
    cited = answer.citations[0].passage
    assert cited.kind == "table_row"
    assert cited.text.startswith("表2 2022年12个基地所在省市可数字化交付服务贸易情况")
    assert "四川：进出口额68.83，增速8.82%；出口额52.23，增速8.12%" in cited.text
    assert (cited.page_start, cited.page_end) == (35, 35)
    assert cited.section_path == ("实践篇——国家数字服务出口基地发展实践", "一、基地所在省市数字贸易发展成效",
                                  "（一）基地及所在省市数字贸易发展情况", "1.可数字化交付服务进出口规模保持稳定增长")
    # the row's span in the corpus file is the source line of the 四川 row
    corpus = {s.doc_id: s.text for s in components.sources}[cited.doc_id]
    assert corpus[cited.start:cited.end].split() == ["四川", "68.83", "8.82", "52.23", "8.12", "16.60",
                                                      "11.06"]


@pytest.mark.slow
def test_one_model_forward_per_question(components: Components,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = components.embedder
    calls: list[list[str]] = []
    original = embedder.embed_queries

    def counting(texts: list[str]) -> object:
        calls.append(list(texts))
        return original(texts)

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("embed_passages called while answering")

    monkeypatch.setattr(embedder, "embed_queries", counting)
    monkeypatch.setattr(embedder, "embed_passages", forbidden)
    for question in (SICHUAN, UNANSWERABLE, LIST_QUESTIONS[0]):
        before_calls, before_forwards = len(calls), embedder.forwards
        components.answerer.answer(question)
        assert len(calls) == before_calls + 1
        assert calls[-1] == [question]
        assert embedder.forwards == before_forwards + 1


@pytest.mark.slow
def test_search_runs_one_forward_and_none_for_bm25_or_a_bad_mode(components: Components) -> None:
    embedder, answerer = components.embedder, components.answerer
    before = embedder.forwards
    answerer.search("跨电出口多少", 3, "hybrid")
    assert embedder.forwards == before + 1
    answerer.search("跨电出口多少", 3, "bm25")
    with pytest.raises(ValueError, match="unknown mode 'fuzzy': use one of hybrid, dense, bm25"):
        answerer.search("跨电出口多少", 3, "fuzzy")
    assert embedder.forwards == before + 1


# -- reportqa ask --json --------------------------------------------------------------------

ASK_KEYS = {"question", "answer", "abstained", "abstain_reason", "resolved_question", "citations", "see_also",
            "timings_ms"}
CITATION_KEYS = {"n", "passage_id", "doc_id", "title", "section_path", "page_start", "page_end", "start", "end", "quote",
                 "quote_start", "quote_end"}


@pytest.mark.slow
def test_ask_json_contract(components: Components,
                           run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    settings = components.settings
    result = run_cli("ask", f"  {SICHUAN}\x07 ", "--json",
                     env={"REPORTQA_INDEX_DIR": str(settings.index_dir),
                          "REPORTQA_CORPUS_DIR": str(settings.corpus_dir), "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == ASK_KEYS
    assert data["question"] == SICHUAN  # trimmed, control character removed
    assert isinstance(data["abstained"], bool) and data["abstained"] is False
    assert data["see_also"] == []
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    timings = data["timings_ms"]
    assert all(isinstance(v, float) and v >= 0 for v in timings.values())
    assert timings["total"] == pytest.approx(timings["retrieve"] + timings["answer"], abs=0.02)
    assert all(set(c) == CITATION_KEYS for c in data["citations"])
    expected = answer_json(components.answerer.answer(SICHUAN))
    assert {k: v for k, v in data.items() if k != "timings_ms"} == \
        {k: v for k, v in expected.items() if k != "timings_ms"}
    citation = data["citations"][0]
    assert citation["n"] == 1
    assert citation["page_start"] == citation["page_end"] == 35
    assert citation["section_path"][-1] == "1.可数字化交付服务进出口规模保持稳定增长"


@pytest.mark.slow
def test_ask_json_abstains(components: Components,
                           run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    settings = components.settings
    result = run_cli("--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir),
                     "ask", UNANSWERABLE, "--json", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == ASK_KEYS
    assert (data["answer"], data["abstained"], data["citations"]) == (ABSTAIN_TEXT, True, [])
    see_also_keys = {"passage_id", "doc_id", "section_path", "page_start", "page_end", "start", "end", "text"}
    assert data["see_also"] and all(set(s) == see_also_keys for s in data["see_also"])


def test_ask_rejects_an_empty_question(run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    result = run_cli("ask", " \x07 \t", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["reportqa: error: the question must be 1-500 characters"]


@pytest.mark.slow
def test_list_answer_gives_the_heads_of_a_numbered_run(components: Components) -> None:
    answer = components.answerer.answer("上海市在推进跨境数字基础设施方面采取了哪几项举措？")
    assert answer.text == (
        "上海市大力推进跨境数字基础设施。[1]一是提升国际海光缆容量；二是建设国际互联网专用通道；"
        "三是试点建设新型互联网交换中心；四是建设全球数据枢纽平台，扩容亚太互联网交换中心（APIX）。[1]"
    )
    (citation,) = answer.citations
    assert citation.quote == "上海市大力推进跨境数字基础设施。"
    assert "四是建设全球数据枢纽平台" in citation.passage.text


@pytest.mark.slow
def test_a_lead_before_a_numbered_run_holds_the_list_asked_for(components: Components) -> None:
    # 上海市大力推进跨境数字基础设施。 names no item itself; the 一是… after it in its passage does
    answerer = components.answerer
    question = answerer.analyze("上海市在推进跨境数字基础设施方面采取了哪几项举措？")
    ranked = answerer.candidates(question, *answerer.retrieve(question))
    typed = {c.text: c.features[CANDIDATE_FEATURES.index("typed")] for c in ranked}
    assert typed["上海市大力推进跨境数字基础设施。"] == 1.0
    # the same lead asked for no list holds no figure: the run does not make it typed
    count = answerer.analyze("上海市推进跨境数字基础设施投入了多少资金？")
    ranked = answerer.candidates(count, *answerer.retrieve(count))
    assert {c.text: c.features[CANDIDATE_FEATURES.index("typed")] for c in ranked}["上海市大力推进跨境数字基础设施。"] == 0.0


@pytest.mark.slow
def test_list_answer_from_a_box_leaves_out_the_paragraph_before_it(components: Components) -> None:
    # the composing stage alone, from a box item as the best candidate (which candidate the
    # fitted model puts first is the model's business; the main set's figures count that)
    answerer = components.answerer
    question = answerer.analyze("中关村软件园在完善新型基础设施、建设智慧园区方面有哪些具体举措？")
    ranked = answerer.candidates(question, *answerer.retrieve(question))
    item = next(c for c in ranked if c.text.startswith("3.建设云计算服务平台"))
    pieces = answerer.pieces(question, [item, *(c for c in ranked if c is not item)])
    assert "".join(p.text for p in pieces) == "1.打造融合通信平台；2.扩容升级数据中心；3.建设云计算服务平台；4.建设IPv6示范应用系统。"
    assert {p.passages[0].section_path[-1] for p in pieces} == {"专栏3：中关村软件园完善新型基础设施，建设智慧园区"}


@pytest.mark.slow
def test_a_list_nearby_does_not_replace_a_better_answer(components: Components) -> None:
    # the 一是/二是 run on WTO talks sits two sentences away; the RCEP sentence answers
    answer = components.answerer.answer("RCEP于2022年1月正式生效时，除中国外哪些非东盟成员国正式开始实施协定？")
    assert "日本、新西兰、澳大利亚等4个非东盟成员国" in answer.text
    assert "一是" not in answer.text




# -- the reader over the real index ---------------------------------------------------------


@pytest.mark.slow
def test_an_abstention_names_its_reason(components: Components) -> None:
    answer = components.answerer.answer(UNANSWERABLE)
    assert answer.abstained
    assert answer.abstain_reason == "the retrieved passages do not name 韩国"
    assert answer_json(answer)["abstain_reason"] == "the retrieved passages do not name 韩国"
    assert components.answerer.answer(SICHUAN).abstain_reason is None
    # a place the report never mentions is the reason itself
    answer = components.answerer.answer("广西经西部陆海新通道2022年运了多少万标箱")
    assert answer.abstained
    assert answer.abstain_reason == "the report never mentions 广西"


@pytest.mark.slow
def test_a_count_found_nowhere_is_a_reason(components: Components) -> None:
    answerer = components.answerer
    question = answerer.analyze("中国现在有多少条国际海缆登陆")
    x = np.array(answerer.models.abstain.mean)  # every feature at its mean pulls nothing
    x[ANSWER_FEATURES.index("top_counted")] = 0.0  # the best candidate counts neither 条 nor 国际海缆
    assert answerer.reason(question, x) == "no retrieved passage counts 国际海缆"
    question = answerer.analyze("2022年中国在全球创新指数中的得分是多少")
    x = np.array(answerer.models.abstain.mean)
    x[ANSWER_FEATURES.index("top_measured")] = 0.0
    assert answerer.reason(question, x) == "no retrieved passage gives a figure for 在全球创新指数中的得分"
    # what a when-question dates is read through the same feature
    question = answerer.analyze("中国加入DEPA的谈判预计什么时候能谈完")
    assert answerer.reason(question, x) == "no retrieved passage dates 谈完"


@pytest.mark.slow
def test_a_names_reason_gives_only_the_names_left_out(components: Components) -> None:
    answerer = components.answerer
    question = answerer.analyze("RCEP啥时候正式生效的 东南亚客户老提这个")
    assert question.names == ("rcep", "东南亚")
    assert question.asked_names == ("rcep",)  # 东南亚 is in the talk after the question
    x = np.array(answerer.models.abstain.mean)
    for feature in ("names", "top_names", "lead_up_names", "asked_names"):  # no name found anywhere
        x[ANSWER_FEATURES.index(feature)] = 0.0
    stated = "2022年1月，《区域全面经济伙伴关系协定》（RCEP）正式生效。"
    assert answerer.reason(question, x, stated) == "the retrieved passages do not name 东南亚"
    # the long form the report defines counts as the name (wto: 世界贸易组织)
    question = answerer.analyze("WTO和RCEP的事 东南亚客户老问")
    assert answerer.reason(question, x, "世界贸易组织谈判") == "the retrieved passages do not name rcep、东南亚"
    # when the answer states every name, the pull is a candidate's: all are given
    assert answerer.reason(question, x, "世界贸易组织与RCEP、东南亚") == "the retrieved passages do not name wto、rcep、东南亚"


@pytest.mark.slow
def test_a_comparison_of_two_table_rows_is_computed(components: Components) -> None:
    answer = components.answerer.answer("中关村软件园和中国（南京）软件谷2022年数字产业产值哪个高")
    assert answer.text == "2022年：中关村软件园（4759亿元）高于中国（南京）软件谷（2600亿元），相差2159亿元。[1][2]"
    rows = [c.passage for c in answer.citations]
    assert [p.kind for p in rows] == ["table_row", "table_row"]
    assert rows[0].text.startswith("表4 2020—2022年部分基地数字产业产值（单位：亿元）中关村软件园：")
    assert rows[1].text.startswith("表4 2020—2022年部分基地数字产业产值（单位：亿元）中国（南京）软件谷：")


@pytest.mark.slow
def test_a_rank_in_a_table_column_is_computed(components: Components) -> None:
    answer = components.answerer.answer("中国数字服务出口在主要经济体里排第几")
    assert answer.text == "中国出口2105.37亿美元，出口同比7.59%，在表中10个中排第6位（第一为美国，6560.54亿美元）。[1][2]"
    assert [c.passage.text.split("）")[1][:3] for c in answer.citations] == ["中国：", "美国："]


@pytest.mark.slow
def test_the_row_at_a_rank_of_a_table_column_is_computed(components: Components) -> None:
    answer = components.answerer.answer("12个省市可数字化交付进出口额排第三的是谁")
    assert answer.text == "进出口额排第3的是北京（726.61亿美元）（表中12个，第一为上海，985.78亿美元）。[1][2]"
    assert [c.passage.text.split("）", 1)[1][:3] for c in answer.citations] == ["北京：", "上海："]


@pytest.mark.slow
def test_the_largest_of_a_column_beats_the_total_row(components: Components) -> None:
    # the computed statement reads its table's caption (12个基地所在省市) as the rows do
    answer = components.answerer.answer("12个基地所在省市里 数字服务出口增速最快的是哪个")
    assert answer.text == "出口额增速最高的是海南（87.51%；出口额7.64亿美元），其次是辽宁（28.94%，相差58.57个百分点）。[1][2]"
    assert answer.citations[0].passage.text.startswith("表2 2022年12个基地所在省市可数字化交付服务贸易情况（单位：亿美元；%）海南：")


@pytest.mark.slow
def test_a_prose_comparison_states_its_conclusion_from_the_cited_figures(components: Components) -> None:
    answer = components.answerer.answer("承接RCEP国家的离岸外包和美国的比 哪个多")
    assert answer.text == (
        "RCEP（2089亿元）多于美国（1878亿元）。[1]2022年，中国承接区域全面经济伙伴关系协定（RCEP）成员国离岸服务外包"
        "执行额2089亿元，同比增长4.2%，合计占离岸服务外包执行额的23.3%，超过美国的1878亿元与欧盟的1232亿元。[1]")
    assert len(answer.citations) == 1


def test_a_question_of_two_counts_is_answered_for_each(components: Components) -> None:
    answer = components.answerer.answer("cips系统现在有多少家参与者 一年处理多少笔业务")
    assert answer.text == (
        "截至2022年末，人民币跨境支付清算（CIPS）系统共有参与者1360家，较2021年新增101家；"
        "全年CIPS系统累计处理支付业务440万笔，同比增长31.7%。[1]")


def test_a_question_asking_of_each_named_thing_is_answered_for_each(components: Components) -> None:
    answer = components.answerer.answer("《数据安全法》和《个人信息保护法》分别是何时出台的？")
    assert answer.text == (
        "2021年6月《数据安全法》出台，首次较为系统地明确对数据处理、使用、流动的规制要求，提出建立国家数据分类分级保护制度，"
        "制定重要数据目录。[1]2021年8月《个人信息保护法》出台，建立了权责明确、保护有效、利用规范的个人信息制度。[1]")


@pytest.mark.slow
def test_a_superlative_over_a_prose_list_is_computed_from_its_figures(components: Components) -> None:
    question = components.answerer.analyze("中部 西部 东北三块 哪块的数字服务贸易规模最大")
    answer = components.answerer.answer(question.text)
    assert answer.text.startswith("西部（151.38亿美元）最大，其次为东北（93.3亿美元）、中部（85.9亿美元）。[1]2022年，中部地区")
    assert answer.citations[0].quote.startswith("2022年，中部地区、西部地区、东北地区可数字化交付服务贸易规模分别为")
    # the listing sentence holds what a superlative asks, though no ranking word says so
    assert components.answerer._typed(question, answer.citations[0].quote, None, "sentence") == 1.0
    assert components.answerer._typed(question, "中部西部东北地区处于加速赶超阶段。", None, "sentence") == 0.0


@pytest.mark.slow
@pytest.mark.parametrize(("question", "expected"), [
    # up or down between two years of a table of years
    ("成都天府软件园数字服务进出口22年比21年是涨了还是跌了",
     "成都天府软件园2022年进出口额36.03亿美元，2021年进出口额36.97亿美元，下降。[1]"),
    # the question names the rate (同比), so the rate column is picked; its amount is the column before it
    ("表1里英国进口同比是涨还是跌", "英国进口1850.15亿美元，进口同比-4.44%，下降。[1]"),
    # a rate asked of one row: the picked column (出口同比) and the amount it is the change of, not the whole row
    ("印度数字服务出口去年涨了多少 感觉印度这两年特别猛", "印度出口2354.18亿美元，出口同比25.93%，增长。[1]"),
    # the table the question names: 表3 lists bases, 表2 the provinces they are in; both have an 出口额
    # column, and 上海 leads 表2
    ("表三那几个基地2022年出口额最高的是哪一个",
     "2022年出口额最高的是大连高新技术产业园区（31.58亿美元），其次是成都天府软件园（31.11亿美元，相差0.47亿美元）。[1][2]"),
    # a row's two sides set against each other, the difference from the cited cells
    ("上海数字服务出口额和进口额哪个大", "上海：出口额（619.96亿美元）高于进口额（365.82亿美元），相差254.14亿美元。[1]"),
    # 产业 of the table's 数字产业产值 names no row (杭州…物联网产业园): the row at the second place is read
    ("据表4，2022年数字产业产值排第二位的基地是哪个？",
     "2022年排第2的是中国（南京）软件谷（2600亿元）（表中6个，第一为中关村软件园，4759亿元）。[1][2]"),
])
def test_a_table_statement_is_computed_for_what_is_asked(components: Components, question: str, expected: str) -> None:
    assert components.answerer.answer(question).text == expected


@pytest.mark.slow
def test_the_question_is_analysed_once_with_corpus_aliases(components: Components) -> None:
    answerer = components.answerer
    q = answerer.analyze("写论文要用 个保法是哪年出台的")
    assert q.asks == ("date",)
    assert dict(q.expansions) == {"个保法": ("个人信息保护法",)}
    assert "个人信息保护法" in q.search_text
    aliases = components.index.aliases
    assert aliases.pairs["基地"] == ("国家数字服务出口基地",)
    assert aliases.pairs["浦软"] == ("浦东软件园",)
    assert aliases.pairs["wto"] == ("世界贸易组织",)
    assert aliases.pairs["数贸会"] == ("全球数字贸易博览会",)  # 全球数字贸易博览会（数贸会）
    assert aliases.pairs["rcep"] == ("区域全面经济伙伴关系协定",)  # 《区域全面经济伙伴关系协定》（RCEP）
    # a word the report uses is read with the form it defines as the same: a sentence naming
    # the 世界贸易组织 names the wto
    q = answerer.analyze("wto电子商务谈判里中国交了几份方案")
    assert dict(q.expansions) == {"wto": ("世界贸易组织",)}


@pytest.mark.slow
def test_a_definition_question_gets_the_defining_passage_first(components: Components) -> None:
    answerer, retriever = components.answerer, components.retriever
    # the term asked about is the heaviest key term, with the long form the report defines for it
    read = [answerer.analyze(t) for t in ("数贸到底怎么定义的", "报告对“数字贸易”是如何界定的", "2022年出口多少")]
    assert [q.defined for q in read] == [("数贸", "数字贸易"), ("数字贸易",), ()]
    # the report's footnote (数字贸易是指，…) ranks 4th and 5th by fusion alone, below passages
    # that only use the term; among the first twenty, it comes first
    for q, plain_rank in zip(read[:2], (3, 4), strict=True):
        vector = retriever.encode(q.text)
        plain = [h.passage.id for h in retriever.search_vector(q.search_text, vector, 20)]
        assert plain.index(DEFINITION) == plain_rank
        assert [h.passage.id for h in answerer.search(q.text, 5)][0] == DEFINITION
        assert answerer.answer(q.text).citations[0].passage.id == DEFINITION


def test_characters_jieba_cannot_place_stay_one_term(components: Components) -> None:
    answerer = components.answerer
    # jieba cuts 综试区 into 综/试/区: one term the answer must hold, not three dropped
    # characters (nor the single characters 试 and 区 as terms)
    q = answerer.analyze("跨境电商综试区现在一共多少个")
    assert list(q.terms) == ["跨境电商", "综试区", "现在", "一共"]
    # a blank ends a run: the 年 of 22年 (set apart from what follows) joins no 数服
    q = answerer.analyze("咱们国家22年数服出口多少 涨了几个点")
    assert list(q.terms) == ["国家", "数服"]


def test_words_that_point_or_join_are_no_key_terms(components: Components) -> None:
    # 我国 is rare in the report (it writes 中国), so as a key term it weighed more than
    # 数字服务贸易 and pulled the search and the coverage towards the few passages that say 我国;
    # like 那个, 咱们 and 不是 it points or joins and names nothing an answer must state
    analyze = components.answerer.analyze
    assert list(analyze("我国数字服务贸易顺差有多少").terms) == ["数字服务贸易", "顺差"]
    # nor does lexical search read them: BM25 weighed 我国 (4 uses against 中国's 125) above the measure
    assert analyze("我国数字服务贸易顺差有多少").search_text == "数字服务贸易 顺差 有 多少"
    assert list(analyze("那个跨境电商综试区不是有好多吗 咱们现在一共多少个").terms) == [
        "跨境电商", "综试区", "好多", "现在", "一共"]


def test_a_direction_is_no_name(components: Components) -> None:
    # jieba tags 东西 (things) and 东部 as places; a direction says where, it names no one
    # an answer must state (as for the places the report lacks, ``Question.absent``)
    analyze = components.answerer.analyze
    assert analyze("全世界2022年大概多少人在网上买东西").names == ()
    assert analyze("东部地区广东的数字服务出口多少").names == ("广东",)


def test_a_name_the_report_does_not_use_whole_gives_the_names_among_its_parts(components: Components) -> None:
    # jieba tags 美国市场 and 辽宁省 as names whole; the report writes neither, so they were no names
    # at all, and the whole market's figure passed for the American part of it
    analyze = components.answerer.analyze
    assert analyze("国产游戏出海收入里美国市场占多少").names == ("美国",)
    assert analyze("2022年辽宁省可数字化交付服务进出口额是多少").names == ("辽宁",)
    assert analyze("2022年亚太地区电子商务零售额是多少").names == ("亚太",)
    assert analyze("中关村软件园入驻企业总数是多少家").names == ("中关村软件园",)  # a name the report uses stays whole


def test_the_abstention_model_reads_how_much_a_question_asks(components: Components) -> None:
    # several parts that ask, talk around the question, and how many figures, counts or dates it asks
    # for: a question asking two things, or wrapped in talk, finds less of its words in any one
    # sentence, which the model may weigh
    answerer = components.answerer
    at = [ANSWER_FEATURES.index(f) for f in ("several", "talk", "things")]
    asked = {}
    for text in ("wto电子商务谈判中国交了几份方案 涉及多少议题", "我们数字服务贸易顺差有多少 比前一年多了多少",
                 "国家数据局是啥时候挂牌成立的", "山东双核三圈 双核是哪两个城市", "rcep啥时候正式生效的 东南亚客户老提这个"):
        q = answerer.analyze(text)
        vector, hits = answerer.retrieve(q)
        ranked = answerer.candidates(q, vector, hits)
        asked[text[:4]] = tuple(answerer.answer_features(q, ranked, answerer.pieces(q, ranked))[at])
    # two counts (几份方案, 多少议题); one amount (顺差) asked twice; one date (挂牌成立); no figure
    # (哪两个城市; 山东双核三圈 before it asks nothing); one date (生效) with talk after it
    assert asked == {"wto电": (1.0, 0.0, 2.0), "我们数字": (1.0, 0.0, 1.0), "国家数据": (0.0, 0.0, 1.0),
                     "山东双核": (0.0, 1.0, 0.0), "rcep": (0.0, 1.0, 1.0)}


def test_a_statistic_about_a_part_reads_as_about_another_subject(components: Components) -> None:
    # the whole (全球) the question asks about against a part of it (发达经济体) a sentence gives
    answerer = components.answerer
    q = answerer.analyze("22年全球数字服务出口一共多少钱")
    vector, hits = answerer.retrieve(q)
    at = CANDIDATE_FEATURES.index("subject")
    subject = {c.text[:12]: float(c.features[at]) for c in answerer.candidates(q, vector, hits)}
    assert subject["2022年，发达经济体数"] == 0.0
    assert subject["2022年，发展中经济体"] == 0.0
    assert subject["其中，美国、英国、爱尔兰"] == 0.0
    assert subject["据世界贸易组织（WTO）"] == 1.0  # 2022年全球可数字化交付服务出口额为4.1万亿美元
    assert subject["2022年，全球ICT服"] == 1.0


def test_a_sentence_that_goes_on_reads_its_topics_terms_years_and_subject(components: Components) -> None:
    # 其中，出口2105.4亿美元… names neither 中国 nor 可数字化交付服务 nor the year: the sentence before it does
    answerer = components.answerer
    q = answerer.analyze("2022年中国可数字化交付服务出口额是多少")
    vector, hits = answerer.retrieve(q)
    (then,) = [c for c in answerer.candidates(q, vector, hits) if c.text == "其中，出口2105.4亿美元，同比增长7.6%；"]
    read = {f: float(then.features[CANDIDATE_FEATURES.index(f)]) for f in ("coverage", "names", "years", "subject")}
    assert read == {"coverage": 1.0, "names": 1.0, "years": 1.0, "subject": 1.0}  # 0, 0, 0 and 0.5 read alone
    assert then.covered == frozenset({"中国", "可数字化交付服务"})


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_is_read_alike(components: Components, mode: str) -> None:
    # the reader's passage similarity comes from the index vectors, not from the mode's scores
    answer = components.answerer.answer(SICHUAN, mode=mode)
    assert not answer.abstained and "52.23" in answer.text
    assert components.answerer.answer(UNANSWERABLE, mode=mode).abstained


@pytest.mark.slow
def test_a_row_answer_is_stated_by_the_statement_computed_over_it(components: Components) -> None:
    # whichever the candidate model puts first, the row or the statement computed from its cells
    answerer = components.answerer
    question = answerer.analyze("成都天府软件园数字服务进出口22年比21年是涨了还是跌了")
    ranked = answerer.candidates(question, *answerer.retrieve(question, 5))
    row = next(c for c in ranked if c.kind == "row" and "成都天府软件园：" in c.text)
    pieces = answerer.pieces(question, [row, *(c for c in ranked if c is not row)])
    assert [(p.text, p.computed, [x.id for x in p.passages]) for p in pieces] == [
        ("成都天府软件园2022年进出口额36.03亿美元，2021年进出口额36.97亿美元，下降。", True, [row.passage.id])]
