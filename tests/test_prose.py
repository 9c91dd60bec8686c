"""Prose comparisons concluded from the figures of the answer's sentences
(``answer/prose.py``), on hand-written sentences."""

from __future__ import annotations

import numpy as np
import pytest

from reportqa.answer.prose import Figure, ProseComparer, amount_figure, list_items, rate_figure, share_figure
from reportqa.answer.question import QuestionAnalyzer
from reportqa.segment import Tokenizer

VOCAB = {"数字": 0, "贸易": 1, "出口": 2, "中国": 3, "基地": 4}
IDF = np.array([0.5, 0.5, 1.0, 0.2, 2.0])


@pytest.fixture(scope="module")
def conclude() -> object:
    analyzer = QuestionAnalyzer(Tokenizer(), VOCAB, IDF)
    comparer = ProseComparer()
    return lambda question, texts: comparer.conclude(analyzer.analyze(question), texts)


def test_figures_are_read_as_written() -> None:
    assert rate_figure("进口额1531.83亿美元，同比下降1.08%") == Figure("下降1.08%", -1.08, "%")
    assert rate_figure("出口额达1.55万亿元，同比增长11.7%") == Figure("11.7%", 11.7, "%")
    assert amount_figure("2022年第3季度出口额达1.55万亿元") == Figure("1.55万亿元", 1.55e12, "元")
    assert amount_figure("大连高新技术产业园区由73.80%提升至82.33%") == Figure("82.33%", 82.33, "%")
    assert share_figure("同比增长22.7%，全球占比达10.5%") == Figure("10.5%", 10.5, "%")
    assert rate_figure("规模达3396.5亿美元") is None


def test_a_rate_comparison_reads_each_sides_growth(conclude) -> None:  # type: ignore[no-untyped-def]
    texts = ["江苏出口额达100亿美元，同比下降1.08%。", "浙江出口额增长0.5%。"]
    assert conclude("江苏和浙江的数字服务出口哪个增速高", texts) == "浙江（0.5%）高于江苏（下降1.08%）。"


def test_a_respectively_list_gives_each_side_its_figure(conclude) -> None:  # type: ignore[no-untyped-def]
    texts = ["其中，全国版和自贸试验区外资准入负面清单条目已分别缩减至31条和27条，营商环境不断优化。"]
    assert conclude("全国版和自贸区版负面清单哪个条目少", texts) == "自贸区（27条）少于全国（31条）。"


def test_a_share_question_reads_the_share_not_the_growth(conclude) -> None:  # type: ignore[no-untyped-def]
    texts = ["2022年，中国数据产量达8.1ZB，同比增长22.7%，全球占比达10.5%，居世界第二位。",
             "截至2022年底，中国数据存储量达724.5艾字节（EB），同比增长21.1%，全球占比达14.4%。"]
    assert conclude("中国数据产量和数据存储量 全球占比哪个高", texts) == "存储量（14.4%）高于产量（10.5%）。"


def test_amounts_are_compared_in_one_unit_only(conclude) -> None:  # type: ignore[no-untyped-def]
    question = "江苏和浙江的数字服务出口哪个多"
    assert conclude(question, ["江苏出口额10亿美元。", "浙江出口额5.5亿美元。"]) == "江苏（10亿美元）多于浙江（5.5亿美元）。"
    assert conclude(question, ["江苏出口额1万亿美元。", "浙江出口额9000亿美元。"]) == "江苏（1万亿美元）多于浙江（9000亿美元）。"
    assert conclude(question, ["江苏出口额10亿美元。", "浙江出口额50亿元。"]) is None  # dollars against yuan


def test_no_conclusion_without_a_figure_for_each_side(conclude) -> None:  # type: ignore[no-untyped-def]
    assert conclude("江苏和浙江的数字服务出口哪个增速高", ["江苏出口额同比下降1.08%。"]) is None
    assert conclude("江苏和浙江的数字服务出口哪个增速高", ["江苏和浙江出口额同比增长1.5%。"]) is None  # one figure, two sides
    assert conclude("江苏的数字服务出口是多少", ["江苏出口额10亿美元。"]) is None  # no comparison


REGIONS = ["2022年，中部地区、西部地区、东北地区可数字化交付服务贸易规模分别为85.9亿美元、151.38亿美元和93.3亿美元，"
           "占全国的比重分别为2.3%、4.1%和2.5%。"]


def test_a_superlative_over_a_respectively_list_names_the_highest(conclude) -> None:  # type: ignore[no-untyped-def]
    assert conclude("中部 西部 东北三块 哪块规模最大", REGIONS) == \
        "西部（151.38亿美元）最大，其次为东北（93.3亿美元）、中部（85.9亿美元）。"
    # a share question reads the per-cent list, whose clause names no items of its own
    assert conclude("中部 西部 东北 哪个占全国的比重最低", REGIONS) == "中部（2.3%）最低，其次为东北（2.5%）、西部（4.1%）。"
    # only the items the question names are ranked
    assert conclude("中部和东北地区哪个规模最小", REGIONS) == "中部（85.9亿美元）最小，其次为东北地区（93.3亿美元）。"


def test_a_comparison_of_two_listed_items_without_sides_reads_the_list(conclude) -> None:  # type: ignore[no-untyped-def]
    assert conclude("中部和东北 哪边规模更大", REGIONS) == "东北（93.3亿美元）大于中部（85.9亿美元）。"


def test_no_superlative_when_the_list_does_not_fit(conclude) -> None:  # type: ignore[no-untyped-def]
    assert conclude("西部规模是不是最大", REGIONS) is None  # one item named
    # a rate asked: the shares (占全国的比重分别为) are no growth, and the list of amounts is no rate
    assert conclude("中部 西部 东北 哪个增速最快", REGIONS) is None
    rates = ["中部地区、西部地区增速分别为3.1%和5.2%，占全国的比重分别为2.3%和4.1%。"]
    assert conclude("中部和西部哪个增速最快", rates) == "西部（5.2%）最快，其次为中部（3.1%）。"
    assert conclude("中部和西部哪个占全国的比重最高", rates) == "西部（4.1%）最高，其次为中部（2.3%）。"
    assert conclude("前两名是哪两个地区 中部 西部 东北 规模最大的", REGIONS) is None  # asks for two
    # three items, two figures: the counts disagree
    assert conclude("中部 西部 东北哪个最大", ["中部地区、西部地区、东北地区规模分别为85.9亿美元和151.38亿美元。"]) is None


def test_list_items_are_read_as_many_as_their_figures() -> None:
    head = "金融服务、保险与养老服务、知识产权使用费服务进出口规模"
    assert list_items(head, 3) == ["金融服务", "保险与养老服务", "知识产权使用费服务进出口规模"]
    assert list_items("金融服务、保险与养老服务和知识产权使用费服务", 3) == ["金融服务", "保险与养老服务", "知识产权使用费服务"]
    assert list_items("西部、中部和东北", 3) == ["西部", "中部", "东北"]
    assert list_items("西部、中部和东北", 2) == ["西部", "中部和东北"]  # 、 alone gives two
    assert list_items("西部、中部和东北", 4) == ["西部", "中部", "东北"]  # no reading fits: the first


def test_a_list_whose_item_holds_a_joiner_and_whose_first_item_holds_the_setting(conclude) -> None:  # type: ignore[no-untyped-def]
    # the report's own sentence: an ASCII comma after the year, 中国 before the first item, 与 inside the second
    texts = ["2022年, 中国金融服务、保险与养老服务、知识产权使用费服务进出口规模分别为89.2亿美元、254.3亿美元、"
             "579.7亿美元，在可数字化交付服务中的占比分别为2.4%、6.8%和15.6%。"]
    assert conclude("金融服务 保险养老 知识产权使用费这三块进出口 哪个规模最大", texts) == (
        "知识产权使用费（579.7亿美元）最大，其次为保险（254.3亿美元）、金融服务（89.2亿美元）。")
    assert conclude("2022年中国保险与养老服务和金融服务的进出口规模哪个大", texts) == (
        "保险与养老服务（254.3亿美元）大于金融服务（89.2亿美元）。")
