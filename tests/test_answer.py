"""Tests of the answer composer: the number check on its own, then cited
answers from the real model and index (``real_components``), and the JSON
contract of ``reportqa ask --json``."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

import pytest

from reportqa.answer import ABSTAIN_TEXT, Answer, numbers_supported
from reportqa.answer.composer import (
    answer_form_found,
    answer_type_found,
    numbers_in,
    opposites_stated,
    specifics_missing,
)
from reportqa.chunking import Passage, Sentence
from reportqa.commands import answer_json
from reportqa.evaluation.metrics import answer_length
from reportqa.segment.tokenizer import normalize
from reportqa.service import Components

MARKER = re.compile(r"\[(\d+)\]")
SEGMENT = re.compile(r"(.*?)\[(\d+)\]", re.S)
SICHUAN = "四川省2022年可数字化交付服务出口额是多少？"
UNANSWERABLE = "2022年韩国可数字化服务出口额是多少？"

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
    ("2022年重庆借助西南出海的那条陆海物流通道运了多少集装箱？", "14.8万标箱"),  # paraphrase
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


def whole_number_in(number: str, text: str) -> bool:
    """``number`` appears in ``text`` as a number of its own."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", normalize(text)) is not None


@pytest.mark.slow
@pytest.mark.parametrize("question", [q for q, _ in WITH_FIGURES[:4]] + LIST_QUESTIONS,
                         ids=[*FIGURE_IDS[:4], "rules", "new-models"])
def test_markers_match_the_citations(real_components: Components, question: str) -> None:
    answer = real_components.answerer.answer(question)
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
@pytest.mark.parametrize(("question", "figure"), WITH_FIGURES, ids=FIGURE_IDS)
def test_every_number_appears_in_a_cited_passage(real_components: Components, question: str,
                                                 figure: str) -> None:
    answer = real_components.answerer.answer(question)
    assert not answer.abstained
    assert figure in answer.text
    body = MARKER.sub("", answer.text)
    assert numbers_in(body)  # the check below is not vacuous
    assert numbers_supported(answer.text, [c.passage for c in answer.citations])
    for text, cited in cited_segments(answer):
        # extractive: each piece is the cited passage's own text, and its numbers are there
        assert normalize(text) in normalize(cited.text), (text, cited.text)
        for number in numbers_in(text):
            assert whole_number_in(number, cited.text), (number, cited.text)


@pytest.mark.slow
@pytest.mark.parametrize("question", [q for q, _ in WITH_FIGURES] + LIST_QUESTIONS,
                         ids=[*FIGURE_IDS, "rules", "new-models"])
def test_answers_are_at_most_200_characters(real_components: Components, question: str) -> None:
    answer = real_components.answerer.answer(question)
    assert 0 < answer_length(answer.text) <= 200
    assert len(MARKER.findall(answer.text)) <= 3  # 1-3 sentences, one marker each


@pytest.mark.slow
def test_unanswerable_question_abstains(real_components: Components) -> None:
    answer = real_components.answerer.answer(UNANSWERABLE)
    assert answer.abstained is True
    assert answer.text == ABSTAIN_TEXT == "报告中没有找到相关信息"
    assert answer.citations == ()
    # the closest passages come along as "see also", and the JSON form carries them
    assert 1 <= len(answer.see_also) <= 3
    data = answer_json(answer)
    assert data["citations"] == []
    assert [s["passage_id"] for s in data["see_also"]] == [p.id for p in answer.see_also]


@pytest.mark.slow
def test_sichuan_table_row_answer(real_components: Components) -> None:
    answer = real_components.answerer.answer(SICHUAN)
    assert not answer.abstained
    assert "52.23" in answer.text
    assert len(answer.citations) == 1
    cited = answer.citations[0].passage
    assert cited.kind == "table_row"
    assert cited.text.startswith("表2 2022年12个基地所在省市可数字化交付服务贸易情况")
    assert "四川：进出口额68.83，增速8.82%；出口额52.23，增速8.12%" in cited.text
    assert (cited.page_start, cited.page_end) == (35, 35)
    assert cited.section_path == ("实践篇——国家数字服务出口基地发展实践", "一、基地所在省市数字贸易发展成效",
                                  "（一）基地及所在省市数字贸易发展情况", "1.可数字化交付服务进出口规模保持稳定增长")
    # the row's span in the corpus file is the source line of the 四川 row
    corpus = {s.doc_id: s.text for s in real_components.sources}[cited.doc_id]
    assert corpus[cited.start:cited.end].split() == ["四川", "68.83", "8.82", "52.23", "8.12", "16.60",
                                                      "11.06"]


@pytest.mark.slow
def test_one_model_forward_per_question(real_components: Components,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = real_components.embedder
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
        real_components.answerer.answer(question)
        assert len(calls) == before_calls + 1
        assert calls[-1] == [question]
        assert embedder.forwards == before_forwards + 1


# -- reportqa ask --json --------------------------------------------------------------------

ASK_KEYS = {"question", "answer", "abstained", "citations", "see_also", "timings_ms"}
CITATION_KEYS = {"n", "passage_id", "doc_id", "section_path", "page_start", "page_end", "start", "end", "quote",
                 "quote_start", "quote_end"}


@pytest.mark.slow
def test_ask_json_contract(real_components: Components,
                           run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    settings = real_components.settings
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
    expected = answer_json(real_components.answerer.answer(SICHUAN))
    assert {k: v for k, v in data.items() if k != "timings_ms"} == \
        {k: v for k, v in expected.items() if k != "timings_ms"}
    citation = data["citations"][0]
    assert citation["n"] == 1
    assert citation["page_start"] == citation["page_end"] == 35
    assert citation["section_path"][-1] == "1.可数字化交付服务进出口规模保持稳定增长"


@pytest.mark.slow
def test_ask_json_abstains(real_components: Components,
                           run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    settings = real_components.settings
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


@pytest.mark.parametrize(
    ("question", "evidence", "expected"),
    [
        ("中国是在哪一年正式提出申请加入CPTPP的？", "自正式提出申请加入CPTPP以来，中国进行了研究。", False),
        ("《数据安全法》是什么时候出台的？", "2021年6月《数据安全法》出台。", True),
        ("全国有多少个城市拥有专用通道？", "目前，全国共有47个城市拥有专用通道。", True),
        ("全国有多少个城市拥有专用通道？", "各地积极建设专用通道。", False),
        # a year, month or day is no quantity
        ("数据跨境流动的规模是多少？", "2022年3月，数据托管服务平台正式投入使用。", False),
        ("处理了多少件案件？", "2022年9月1日至12月30日，处理案件103件。", True),
        ("用了几年时间？", "用了3年时间。", True),
        # an amount of money needs a currency; a count of works or readers is none
        ("网络文学海外市场的营收规模是多少？", "已向海外输出网络文学作品16000多部，海外用户超过1.5亿人。", False),
        ("游戏海外市场的销售收入是多少？", "游戏海外市场销售收入达173.5亿美元。", True),
        ("2021年合肥高新区数字产业产值是多少？", "表4 数字产业产值（单位：亿元）合肥高新区：2021年730", True),
        ("上海市采取了哪几项举措？", "上海市大力推进跨境数字基础设施。", True),
        ("什么是数字贸易？", "数字贸易是指以数据资源为关键生产要素的对外贸易。", True),
    ],
)
def test_answer_type_found(question: str, evidence: str, expected: bool) -> None:
    assert answer_type_found(question, evidence) is expected


@pytest.mark.slow
def test_list_answer_gives_the_heads_of_a_numbered_run(real_components: Components) -> None:
    answer = real_components.answerer.answer("上海市在推进跨境数字基础设施方面采取了哪几项举措？")
    assert answer.text == (
        "上海市大力推进跨境数字基础设施。[1]一是提升国际海光缆容量；二是建设国际互联网专用通道；"
        "三是试点建设新型互联网交换中心；四是建设全球数据枢纽平台，扩容亚太互联网交换中心（APIX）。[1]"
    )
    (citation,) = answer.citations
    assert citation.quote == "上海市大力推进跨境数字基础设施。"
    assert "四是建设全球数据枢纽平台" in citation.passage.text


@pytest.mark.slow
def test_list_answer_from_a_box_leaves_out_the_paragraph_before_it(real_components: Components) -> None:
    answer = real_components.answerer.answer("中关村软件园在完善新型基础设施、建设智慧园区方面有哪些具体举措？")
    assert answer.text == "1.打造融合通信平台；2.扩容升级数据中心；3.建设云计算服务平台；4.建设IPv6示范应用系统。[1]"
    assert answer.citations[0].passage.section_path[-1] == "专栏3：中关村软件园完善新型基础设施，建设智慧园区"


@pytest.mark.slow
def test_a_list_nearby_does_not_replace_a_better_answer(real_components: Components) -> None:
    # the 一是/二是 run on WTO talks sits two sentences away; the RCEP sentence answers
    answer = real_components.answerer.answer("RCEP于2022年1月正式生效时，除中国外哪些非东盟成员国正式开始实施协定？")
    assert "日本、新西兰、澳大利亚等4个非东盟成员国" in answer.text
    assert "一是" not in answer.text


@pytest.mark.parametrize(
    ("question", "stated", "missing"),
    [
        # numbers other than years must be stated, as themselves
        ("截至2022年底，中国建成了多少个6G基站？", "中国累计建成开通5G基站231.2万个。", ["6"]),
        ("截至2022年12月底，试点交易金额是多少？", "截至2022年8月底，交易金额1000.4亿元。", ["12"]),
        ("截至2023年底，5G基站有多少个？", "2022年，5G基站231.2万个。", []),
        # the unit of an amount asked for comes with a figure
        ("中国服务器市场的规模是多少亿美元？", "中国服务器市场整体规模增长6.9%。", ["多少亿美元"]),
        ("全球出口额是多少亿美元？", "全球出口额为4.1万亿美元。", []),
        ("平均结案周期是多少天？", "处理案件103件，争议标的超7000万元。", ["多少天"]),
        ("平均结案周期是多少天？", "平均结案周期缩短至30余天。", []),
        # a classifier is no unit: 多少座城市 is answered by 47个城市
        ("有多少座城市拥有专用通道？", "全国共有47个城市拥有专用通道。", []),
        # ordinals; 首X is also 第一X
        ("数字经济100强中排名第一的企业是哪家？", "100强入选企业的总市值达到16.5万亿元。", ["第一"]),
        ("国家数据局首任局长是谁？", "2023年3月，国家数据局正式成立。", ["首任"]),
        ("中国第一条海底光缆是哪一年建成的？", "自1993年建成第一条海底光缆以来。", []),
        ("首部基础性法律是哪一部？", "《网络安全法》成为中国数字领域第一部基础性法律。", []),
        # 第五 may be written 5; 第一 and longer ordinals may not
        ("国内用上第五代移动网络的用户有多少？", "5G用户达5.61亿户。", []),
        ("第十三届部长级会议在哪里召开？", "第十二届部长级会议在日内瓦召开。", ["第十三"]),
    ],
)
def test_specifics_missing(question: str, stated: str, missing: list[str]) -> None:
    assert specifics_missing(question, stated) == missing


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        # a which-day question needs a day, not a month
        ("《数据出境安全评估办法》从哪一天起施行？", "2022年7月，《数据出境安全评估办法》出台。", False),
        ("《数据出境安全评估办法》从哪一天起施行？", "该办法自2022年9月1日起施行。", True),
        # a which-ones question needs two or more items
        ("试点覆盖的15个省市具体是哪些？", "数字人民币试点拓展到15个省市的23个地区。", False),
        ("中国已与哪些重点国家实现了直接网络互联？", "中国已与美国、日本、新加坡、英国等实现直接网络互联。", True),
        ("上海市采取了哪几项举措？", "一是提升国际海光缆容量；二是建设国际互联网专用通道。", True),
        # a growth question needs a rate of change, not a share
        ("东部地区进出口规模同比增长了多少？", "东部地区进出口规模达3396.5亿美元，全国占比高达91.1%。", False),
        ("印度可数字化服务出口同比增长多少？", "印度：出口2354.18，同比25.93%", True),
        ("海南省出口额的增速是多少？", "海南：进出口额18.03，增速-9.06%", True),
    ],
)
def test_answer_form_found(question: str, answer: str, expected: bool) -> None:
    assert answer_form_found(question, answer) is expected


@pytest.mark.slow
def test_who_needs_a_person_and_a_name_must_lead_up_to_the_answer(real_components: Components) -> None:
    answerer = real_components.answerer
    assert answerer.names_a_person("习近平主席出席会议并发表讲话。")
    assert not answerer.names_a_person("2023年3月，国家数据局正式成立。")
    # the report names no one who heads the centre
    assert answerer.answer("粤港澳大湾区国际商务与数字经济仲裁中心的负责人是谁？").abstained
    # 成都天府软件园 comes up only after 中关村软件园's R&D figure, in another sentence
    assert answerer.answer("2022年成都天府软件园的企业研发投入是多少？").abstained
    # the park is named two sentences before 基地's figure: its subject
    answer = answerer.answer("杭州高新区（滨江）物联网产业园2022年智能物联产业的总产出有多少？")
    assert not answer.abstained


@pytest.mark.slow
def test_the_asked_type_may_come_from_a_piece_matching_more(real_components: Components) -> None:
    # the best sentence gives the 5 provinces' shares (no currency); the second piece
    # matches every term it matches and 进出口额 too, and gives the amount
    answer = real_components.answerer.answer("2022年中国可数字化交付服务进出口额是多少？")
    assert answer.text.endswith("2022年，中国可数字化交付的服务进出口额为3727.1亿美元，同比增长3.4%，规模再创历史新高。[2]")
    # a piece matching less does not stand in: games' sales do not answer the web novels' revenue
    assert real_components.answerer.answer("2022年中国网络文学海外市场的营收规模是多少？").abstained


@pytest.mark.parametrize(
    ("question", "stated", "opposed"),
    [
        ("游戏在国内市场的销售收入是多少？", "游戏海外市场销售收入达173.5亿美元。", ["国内"]),
        ("游戏在国内市场的销售收入是多少？", "游戏在国内和海外市场的销售收入均有增长。", []),
        ("可数字化服务进口额是多少？", "全球可数字化交付服务出口额为4.1万亿美元。", ["进口"]),
        # 进出口 states neither side alone, asked or answered
        ("可数字化服务进口额是多少？", "浙江：进出口额302.16，进口额113.31", []),
        ("可数字化服务进出口额是多少？", "全球可数字化交付服务出口额为4.1万亿美元。", []),
        ("出口和进口，哪个增长更快？", "出口增长3.4%，进口增长2.1%。", []),
    ],
)
def test_opposites_stated(question: str, stated: str, opposed: list[str]) -> None:
    assert opposites_stated(question, stated) == opposed


@pytest.mark.slow
def test_a_table_row_matching_little_of_the_question_is_not_cited(real_components: Components) -> None:
    answer = real_components.answerer.answer("杭州高新区（滨江）物联网产业园2022年智能物联产业的总产出有多少？")
    # the park's row of 表4 (数字产业产值 1627) came first before; the sentence is the answer
    assert answer.text == "2022年，基地智能物联产业总产出1456.7亿元，同比增长8.4%。[1]"
    assert [c.passage.kind for c in answer.citations] == ["prose"]


@pytest.mark.slow
def test_an_answer_without_the_asked_specifics_abstains(real_components: Components) -> None:
    answerer = real_components.answerer
    assert not answerer.answer("中国累计建成开通了多少个5G基站？").abstained
    # the same question for a 7G network: the 5G sentence states no 7
    assert answerer.answer("截至2022年底，中国累计建成开通了多少个7G基站？").abstained
    # 日本市场 is no word of the report; its name 日本 is, and must be in the evidence
    assert answerer.critical_terms("2022年全球电子商务零售额中日本市场的占比是多少？") == ["2022", "日本"]
    assert answerer.answer("2022年全球电子商务零售额中日本市场的占比是多少？").abstained
    # the report gives the games' sales abroad (海外), not at home (国内)
    assert answerer.answer("2022年中国自主研发游戏在国内市场的销售收入是多少？").abstained


@pytest.mark.slow
def test_key_terms_leave_out_question_frames_and_split_unknown_compounds(real_components: Components) -> None:
    answerer = real_components.answerer
    assert list(answerer.key_terms("《金砖国家数字经济伙伴关系框架》是一份什么样的文件？")) == [
        "金砖国家", "数字经济", "伙伴关系", "框架", "一份", "文件"]
    # 机构编制 is not a word of the report; its parts 机构 and 编制 are
    assert list(answerer.key_terms("该报告由哪家机构编制？")) == ["机构", "编制"]


@pytest.mark.slow
def test_comparison_of_two_table_rows_gives_each_row_without_its_caption(real_components: Components) -> None:
    question = "表1中，2022年英国和德国的可数字化服务进口额哪个更高？"
    answerer = real_components.answerer
    assert answerer.comparison_sides(question) == ["英国", "德国"]
    answer = answerer.answer(question)
    assert answer.text == ("英国：进出口5630.28，同比-1.88%；出口3780.13，同比-0.58%；进口1850.15，同比-4.44%。[1]"
                           "德国：进出口4598.78，同比-2.54%；出口2367.90，同比-5.92%；进口2230.88，同比1.32%。[2]")
    assert [c.passage.kind for c in answer.citations] == ["table_row", "table_row"]


@pytest.mark.slow
def test_a_common_name_joined_to_another_is_a_side(real_components: Components) -> None:
    # 中国 is too common to be a side on its own, but not in 中国和印度
    answerer = real_components.answerer
    assert answerer.comparison_sides("2022年中国和印度的可数字化服务出口额哪个更高？") == ["中国", "印度"]
    assert answerer.comparison_sides("2022年中国承接新西兰和新加坡的离岸服务外包执行额，哪个增长更快？") == [
        "新西兰", "新加坡"]


@pytest.mark.slow
def test_comparison_answer_gives_each_side_its_figure(real_components: Components) -> None:
    question = "与中国建立“丝路电商”双边合作机制的国家数，和与中国签署“数字丝绸之路”合作谅解备忘录的国家数，哪个更多？"
    answerer = real_components.answerer
    assert answerer.comparison_sides(question) == ["丝路电商", "数字丝绸之路"]
    answer = answerer.answer(question)
    # the first sentence runs past 200 characters: its side comes as the clause with its figure
    assert answer.text == ("中国已与30个国家建立“丝路电商”双边合作机制。[1]目前，中国已与17个国家签署“数字丝绸之路”"
                           "合作谅解备忘录，与周边国家累计建设34条跨境陆缆和多条国际海缆。[1]")
    (citation,) = answer.citations
    assert "当前，中国已与30个国家建立“丝路电商”双边合作机制" in citation.passage.text
