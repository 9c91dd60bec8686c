"""Unit tests of the reader's parts without a model: the question record,
tables as data, alias mining, the fitted-model arithmetic and the writer's
abstention. Exact results on small hand-made inputs."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportqa.answer.question import (
    MeasureWords,
    QuestionAnalyzer,
    asked_kinds,
    asked_names,
    asking_parts,
    counted_things,
    dated_events,
    expand_years,
    measured_things,
    ordinals,
    rank_at,
    ranks,
    scopes,
    table_named,
    top_n,
)
from reportqa.answer.reader import (
    ANSWER_FEATURES,
    CANDIDATE_FEATURES,
    LinearModel,
    TreeModel,
    asked_found,
    counted_found,
    coverage,
    dated_found,
    figure_lead,
    headed_found,
    kind_found,
    load_models,
    measured_found,
    month_found,
    ordinal_found,
    part_found,
    partner_found,
    rank_found,
    scope_found,
    share_found,
    side_found,
    subject_found,
    term_found,
    type_verdicts,
)
from reportqa.answer.tables import TableReasoner, columns, named_rows
from reportqa.chunking import Chunker, Passage
from reportqa.chunking.chunker import render_row
from reportqa.index.aliases import Aliases, mine_aliases
from reportqa.ingest.records import Table, TableRow
from reportqa.segment import Tokenizer

VOCAB = {"数字": 0, "贸易": 1, "出口": 2, "中国": 3, "基地": 4}
IDF = np.array([0.5, 0.5, 1.0, 0.2, 2.0])


@pytest.fixture(scope="module")
def analyzer() -> QuestionAnalyzer:
    return QuestionAnalyzer(Tokenizer(), VOCAB, IDF)


def test_asked_kinds_come_from_the_one_table() -> None:
    # a cue's characters go to the first kind of the table that matches them
    assert asked_kinds("上海的数字服务进口涨了还是跌了") == ("change",)
    assert asked_kinds("中国数字服务出口额多少 在主要经济体里排第几") == ("rank", "money")
    assert asked_kinds("中国营商环境的全球排名是第几位") == ("rank",)  # 第几位 asks a place, not a count
    assert asked_kinds("数贸会是哪一天开幕的") == ("day",)
    assert asked_kinds("《数据安全法》是什么时候出台的？") == ("date",)
    assert asked_kinds("数字贸易的定义是啥") == ("definition",)
    assert asked_kinds("规模最大的5个省市是哪些") == ("extreme", "list")
    # 是谁 after a person's title asks for a person; after anything else for a person, body or country
    assert asked_kinds("国家数据局首任局长是谁") == ("person",)
    assert asked_kinds("仲裁中心的负责人是谁") == ("person",)
    assert asked_kinds("数据产量世界第一是谁") == ("who",)


def test_a_money_cue_does_not_reach_across_what_else_is_asked() -> None:
    # a share, a rate or a list between the money word and its 多少 asks for that instead
    assert asked_kinds("2022年全球可数字化交付服务出口额占全球服务出口的比重是多少") == ("quantity",)
    assert asked_kinds("跟一带一路国家做跨境电商 交易额增长大概多少") == ("quantity",)
    assert asked_kinds("东部数字服务进出口前五是哪几个省市") == ("list",)
    assert asked_kinds("中国数字服务出口额多少") == ("money",)
    assert asked_kinds("跨境电商出口一共多少钱") == ("money",)


def test_top_n_reads_counts_in_digits_and_words() -> None:
    assert [top_n(t) for t in ("规模最大的5个省市是哪些", "前五是哪几个省", "排名前三的公司", "最高的是哪个")] == \
        [5, 5, 3, 1]
    # a period (前三季度) and the set asked within (前十那个表里, 前十里头) are no count asked for
    assert [top_n(t) for t in ("23年前三季度全国数字服务进出口多少", "全球前十那个表里 跌得最狠的是哪个国家",
                               "在全球前十里头排老几", "进出口排前五名")] == [1, 1, 1, 5]


def test_a_list_is_asked_by_a_count_and_stated_by_its_separators() -> None:
    assert [asked_kinds(t) for t in ("8个枢纽节点是哪8个", "签了哪17国", "是哪八个领域", "是哪个省")] == \
        [("list",), ("list",), ("list",), ("entity",)]
    # 和 joins two words of any sentence; a list is items set off by 、 or ；, or 一是…
    assert [kind_found("list", t) for t in ("建设已全部开工，推动东西部算力平衡协调发展。",
                                            "包括北京、上海和广州。", "一是提升容量；二是建设通道。")] == \
        [False, True, True]
    # 分别 pairs the items with their figures, joined by 和 or not
    assert kind_found("list", "全国版和自贸试验区外资准入负面清单条目已分别缩减至31条和27条。") is True


def test_a_thing_described_and_named_is_defined() -> None:
    # what a 是什么 question about a named thing asks is the description that names it
    assert [kind_found("definition", t) for t in (
        "创建了由创新中心、全球云计算平台、国际云市场平台、营销服务平台构成的“一中心三平台”保障体系。",
        "以胶东沿海数字贸易创新发展区、环省会数字贸易聚集发展区和鲁南数字贸易特色发展区为圈的“双核三圈”数字贸易空间新布局。",
        "创新性提出“制造业服务化—服务数字化—数字贸易化”的特色发展路径。",
        "山东省2022年可数字化交付服务进出口额108.12亿美元。")] == [True, True, True, False]


def test_a_short_form_is_found_spread_out_in_its_long_form() -> None:
    assert [term_found(t, x) for t, x in (("数字服务", "全球可数字化交付服务出口额"), ("综试区", "跨境电商综合试验区"),
                                          ("数字服务", "数字服务出口"), ("数字服务", "数字化的技术与服务"))] == \
        [0.8, 0.8, 1.0, pytest.approx(0.8 * 2 / 3)]  # the last too far spread: its character pairs only
    # a two-character short form is found by its long form, whole or spread out
    assert [term_found("数服", x, ("数字服务",)) for x in ("数字服务出口", "全球可数字化交付服务出口额", "数据服务")] == \
        [1.0, 0.8, 0.0]


def test_rank_at_reads_the_place_asked_about() -> None:
    # 排第一 is a superlative, not a place to look up
    assert [rank_at(t) for t in ("进出口额排第三的是谁", "排名第2的是哪个", "北京排第几", "排名第一的是谁")] == \
        [3, 2, None, None]
    assert asked_kinds("进出口额排第三的是谁") == ("rank", "who")
    assert asked_kinds("排名第一的是谁") == ("extreme", "who")


def test_how_much_is_no_direction(analyzer: QuestionAnalyzer) -> None:
    # 最狠/最猛 ask for a superlative; which way comes from what rose or fell
    up, down = analyzer.analyze("出口增速最猛的是哪个"), analyzer.analyze("出口跌得最狠的是哪个")
    assert (up.asks[0], up.direction, up.falling) == ("extreme", None, False)
    assert (down.asks[0], down.direction, down.falling) == ("extreme", None, True)


def test_how_many_is_neither_more_nor_less(analyzer: QuestionAnalyzer) -> None:
    # the 多少 after 哪个 asks how many; it sets nothing against anything
    q = analyzer.analyze("数据产量全球第一是哪个国家 多少ZB")
    assert (q.asks, q.direction) == (("quantity", "place"), None)
    q = analyzer.analyze("表2那12个省市里 出口增速最快的是哪个 多少")
    assert (q.asks[:2], q.direction) == (("extreme", "rate"), "high")
    assert [analyzer.analyze(t).direction for t in ("哪个少", "谁多谁少", "哪个更多")] == ["low", "high", "high"]


def test_x_bi_y_is_a_comparison_and_its_word_says_which_way(analyzer: QuestionAnalyzer) -> None:
    # X 比 Y 还多 compares; 比 in 同比, 相比, 比重 does not; a difference asked (比21年多了多少) is a quantity
    asks = [analyzer.analyze(t).asks for t in ("浙江数字服务是不是进口比出口还多", "新加坡和荷兰出口同比增速更高",
                                               "比21年多了多少", "比重多少")]
    assert asks == [("comparison",), ("comparison", "rate"), ("quantity",), ("quantity",)]
    assert analyzer.analyze("有哪些是出口额大于进口额的").asks == ("comparison", "list")
    assert [analyzer.analyze(t).direction for t in ("哪些省市出口额增速低于进口额增速", "表1里哪些国家出口比进口少",
                                                    "是高于还是低于全国水平", "与2021年相比是增加还是减少了")] == \
        ["low", "low", "high", "high"]


def test_whose_measure_is_more_is_a_comparison(analyzer: QuestionAnalyzer) -> None:
    # 谁的 + what is measured + a comparative; the measure is still read (进出口额: money); 谁的…多少 asks how much
    read = [analyzer.analyze(t) for t in ("天津和四川谁的规模大一点", "中国和印度谁的数字服务出口少",
                                          "江苏和浙江谁的进出口额更大 差多少", "谁的出口额是多少")]
    assert [(q.asks, q.direction) for q in read] == [
        (("comparison",), "high"), (("comparison",), "low"), (("comparison", "money"), "high"), (("money",), None)]


def test_a_fall_is_a_change(analyzer: QuestionAnalyzer) -> None:
    # every word that says something fell makes the question one about a change (its rate columns)
    q = analyzer.analyze("表1那十个经济体里 数字服务进口降得最狠的是哪个")
    assert (q.asks[0], q.rate, q.falling) == ("extreme", True, True)
    assert [analyzer.analyze(t).rate for t in ("出口额减少了多少", "出口额是多少")] == [True, False]


def test_comparison_sides_are_names_or_the_halves_of_the_question(analyzer: QuestionAnalyzer) -> None:
    q = analyzer.analyze("全球ICT服务出口增速和数字贸易出口增速哪个快")
    assert q.sides == (("全球", "ict", "服务"), ("数字", "贸易"))
    # a question asking the same of each thing it names has them as sides; 各地 asks of no named thing
    each = analyzer.analyze("《数据安全法》和《个人信息保护法》分别是何时出台的")
    assert each.sides == (("数据安全法",), ("个人信息保护法",))
    assert [analyzer.analyze(t).sides for t in ("各地出口多少", "《数据安全法》是何时出台的")] == [(), ()]


def test_short_years_are_written_out() -> None:
    assert expand_years("齐鲁软件园22年出口额") == "齐鲁软件园2022年出口额"
    assert expand_years("增长12.22年") == "增长12.22年"  # a decimal is no year
    # a span writes 年 once, after its last year
    assert expand_years("合肥高新区20-22年涨了多少") == "合肥高新区2020年-2022年涨了多少"
    assert expand_years("21到22年产值") == "2021年到2022年产值"
    assert expand_years("12到15个") == "12到15个"


def test_a_year_ends_a_word(analyzer: QuestionAnalyzer) -> None:
    # jieba alone joins the year's 年 to the next character: 年数 of 22年数服
    q = analyzer.analyze("德国22年数服进口多少")
    assert q.years == ("2022",) and set(q.terms) == {"德国", "数服"}  # 数/服 jieba cannot place: one term


def test_chatter_weighs_less_than_a_specific_the_report_lacks(analyzer: QuestionAnalyzer) -> None:
    q = analyzer.analyze("老板让我查下 中国6G基站有多少")
    assert q.years == () and q.numbers == ("6",)
    assert q.asks == ("quantity",)
    assert q.terms["中国"] == pytest.approx(0.2)
    # 老板 is common Chinese: far below the report's rarest word; 基站 is unknown to this vocabulary
    assert q.terms["老板"] < 0.5 * analyzer.max_idf
    assert q.terms["老板"] < q.terms["基站"]


def test_names_in_the_talk_around_a_question_are_not_asked() -> None:
    # the part with a cue (啥时候) asks; the part after the blank is why the user asks
    assert asked_names("rcep啥时候正式生效的 东南亚客户老提这个", ["rcep", "东南亚"]) == ("rcep",)
    # a colon and a question mark cut parts too; the part before the colon asks nothing
    assert asked_names("给广东客户准备:2022年上海出口多少?", ["广东", "上海"]) == ("上海",)
    # a comma inside a number cuts nothing, so one part asks: every name
    assert asked_names("上海和广东出口1,000亿元是多少", ["上海", "广东"]) == ("上海", "广东")
    # no part asks, or every part does: every name
    assert asked_names("上海 广东", ["上海", "广东"]) == ("上海", "广东")
    assert asked_names("上海出口多少 广东出口多少", ["上海", "广东"]) == ("上海", "广东")


def test_the_parts_of_a_question_that_ask_are_told_from_the_talk_around_them() -> None:
    # a question asking several things at once: each part with a cue of ASKS
    assert asking_parts("我们数字服务贸易顺差有多少 比前一年多了多少") == (True, True)
    assert asking_parts("wto电子商务谈判中国交了几份方案,涉及多少议题?") == (True, True)
    assert asking_parts("rcep啥时候正式生效的 东南亚客户老提这个") == (True, False)  # the talk after it asks nothing
    assert asking_parts("给广东客户准备:2022年上海出口多少?") == (False, True)  # so does the talk before it
    assert asking_parts("上海和广东出口1,000亿元是多少") == (True,)  # a comma inside a number cuts nothing
    assert asking_parts("上海 广东") == (False, False)


def test_work_per_question_is_bounded(analyzer: QuestionAnalyzer) -> None:
    from reportqa.answer.question import MAX_TERMS
    from reportqa.bench.runner import odd_questions

    for text in odd_questions().values():
        q = analyzer.analyze(text)
        assert len(q.terms) <= MAX_TERMS and len(q.numbers) <= MAX_TERMS and len(q.names) <= MAX_TERMS


@pytest.mark.slow
def test_the_answer_step_grows_at_most_linearly(hash_index: tuple[object, object]) -> None:
    import time

    _, components = hash_index
    answerer = components.answerer  # type: ignore[attr-defined]

    def step(text: str) -> float:
        q = answerer.analyze(text)
        vector = answerer.retriever.encode(q.text)
        hits = answerer.retriever.search_vector(q.search_text, vector, 8)
        best = float("inf")
        for _ in range(5):
            began = time.perf_counter()
            answerer._compose(q, hits, answerer.candidates(q, vector, hits))
            best = min(best, time.perf_counter() - began)
        return best

    for unit in ("数字贸易出口中国2022年多少哪个最高", "0123456789年月.%"):
        short, long = (unit * 200)[:125], (unit * 200)[:500]
        assert step(long) <= 6 * step(short) + 0.002  # 4x the length, at most 6x the time


def test_a_place_the_report_never_mentions_is_absent() -> None:
    vocab = {**VOCAB, "重庆": 5, "软件园": 6, "天府": 7, "软件": 8}
    q = QuestionAnalyzer(Tokenizer(), vocab, np.append(IDF, [1.0] * 4))
    assert q.analyze("广西经西部陆海新通道运了多少标箱").absent == ("广西",)
    assert q.analyze("重庆经西部陆海新通道运了多少标箱").absent == ()
    # a name the report writes only in parts is mentioned (天府, 软件, 软件园), and chatter tagged
    # as a person (孙子) is no place
    assert q.analyze("天府软件园出口多少").absent == ()
    assert q.analyze("孙子问我数字贸易是什么").absent == ()
    assert q.analyze("重庆借助西南出海的通道运了多少").absent == ()  # a direction, not a place
    # parts the report uses that cover the name: 新兴 and 国家 (jieba's 兴国 too is no matter)
    both = QuestionAnalyzer(Tokenizer(), {**vocab, "新兴": 9, "国家": 10}, np.append(IDF, [1.0] * 6))
    assert both.analyze("我想拿它当新兴国家的例子").absent == ()
    assert q.analyze("我想拿它当新兴国家的例子").absent == ("新兴国家",)
    # a suffix of place or kind after parts the report uses (重庆市 as 重庆), not after one character
    assert q.analyze("重庆市经西部陆海新通道运了多少标箱").absent == ()
    assert q.analyze("广西区经西部陆海新通道运了多少标箱").absent == ("广西区",)


def test_a_month_the_question_states_must_not_be_contradicted(analyzer: QuestionAnalyzer) -> None:
    year_end = analyzer.analyze("数字人民币到22年底累计交易金额多少")
    assert year_end.month == 12
    assert month_found(year_end, "截至2022年8月底，数字人民币试点累计交易金额1000.4亿元。") == 0.0
    assert month_found(year_end, "截至2022年末，累计交易金额1000.4亿元。") == 1.0
    assert month_found(year_end, "累计交易金额1000.4亿元。") == 1.0  # no month stated: nothing contradicts
    assert analyzer.analyze("2022年8月DEPA工作组成立了吗").month == 8
    assert analyzer.analyze("2022年8月份出口多少").month == 8  # 月份多少 still states the month
    assert analyzer.analyze("数贸会是几月办的").month is None  # asks the month, states none
    assert month_found(analyzer.analyze("数贸会是几月办的"), "2022年12月举办首届数贸会。") == 1.0


def test_a_counterpart_set_against_the_subject_is_the_pairs_fact(analyzer: QuestionAnalyzer) -> None:
    us = analyzer.analyze("中国对美国的数字服务出口2022年多少")
    assert us.partner == "美国"
    assert analyzer.analyze("跨境电商出口里卖到日本的占多少").partner == "日本"
    assert analyzer.analyze("2022年中国吸收的外资里从美国来的有多少").partner == "美国"
    assert analyzer.analyze("RCEP对韩国是什么时候开始生效的").partner == "韩国"
    assert analyzer.analyze("去年跨境电商出口到美国的有多少").partner == "美国"
    # a cue inside a word is none (面向: aimed at)
    assert analyzer.analyze("共建面向大湾区的仲裁平台的是哪家机构").partner is None
    # places named side by side, or only as the subject, are no counterpart
    assert analyzer.analyze("中国和美国的数字服务出口分别多少").partner is None
    assert analyzer.analyze("美国数字服务出口2022年多少").partner is None
    # the figure of the partner alone, or of the subject alone, is not the pair's
    assert partner_found(us, "美国、英国和日本的数字服务出口分别为6561亿美元、3780亿美元和1171亿美元。") == 0.0
    assert partner_found(us, "中国：出口2105.37亿美元；美国：出口6560.54亿美元。") == 0.0
    assert partner_found(us, "2022年，中国对美国数字服务出口达500亿美元。") == 1.0
    assert partner_found(us, "中国与“美国”的数字服务贸易额为900亿美元。") == 1.0
    assert partner_found(analyzer.analyze("美国数字服务出口2022年多少"), "美国数字服务出口6561亿美元。") == 1.0


def test_a_statistic_names_whose_it_is_before_its_figure(analyzer: QuestionAnalyzer) -> None:
    # the clause of the first figure that is no date, up to the figure
    assert figure_lead("2022年，东部地区可数字化交付服务进出口规模达3396.5亿美元，全国占比高达91.1%。") == \
        "东部地区可数字化交付服务进出口规模达"
    assert figure_lead("2022年9月1日至12月30日，仲裁中心处理案件103件。") == "仲裁中心处理案件"
    assert figure_lead("数字贸易是指以数据资源为关键生产要素的对外贸易。") == ""
    q = analyzer.analyze("中国数字服务出口2022年多少")
    assert subject_found(q, "东部", False) == 0.0  # a part for the whole
    assert subject_found(q, "中国", True) == 1.0
    assert subject_found(q, "全球", True) == 1.0  # the report's setting: a question need not name it
    assert subject_found(q, None, False) == 0.5  # 其中，出口2105.4亿美元: no subject stated
    assert subject_found(analyzer.analyze("东部数字服务出口多少"), "东部", False) == 1.0
    assert subject_found(analyzer.analyze("东北出口多少"), "东北地区", False) == 1.0  # a word of the question in it
    # the setting is a word the report uses everywhere (idf below 1.5)
    assert [analyzer.setting(w) for w in ("中国", "基地", "韩国")] == [True, False, False]


def test_ordinals_are_specifics_matched_whole(analyzer: QuestionAnalyzer) -> None:
    assert ordinals("首届数贸会和第一届数贸会") == ("1届",)
    assert ordinals("金砖国家领导人第十四次会晤、第22次会议、第二十二次") == ("14次", "22次")
    second = analyzer.analyze("第二届数贸会参展企业有多少家")
    assert second.ordinals == ("2届",)
    assert "第二" not in second.terms and "二届" not in second.terms  # not a pair of loose terms
    assert ordinal_found(second, "2022年12月举办首届全球数字贸易博览会。") == 0.0  # another of the series
    assert ordinal_found(second, "数贸会吸引800余家企业参展。") == 0.5  # none stated
    assert ordinal_found(analyzer.analyze("第一届数贸会有多少企业参展"), "举办首届全球数字贸易博览会。") == 1.0


def test_places_in_a_ranking_are_specifics_matched_whole(analyzer: QuestionAnalyzer) -> None:
    assert ranks("数据产量居世界第一位，专利第3名，排名第二，位列全球第十二") == (1, 3, 2, 12)
    assert ranks("第二届数贸会、排第一批试点、第五条") == ()  # a series (an ordinal) or a clause, not a place
    first = analyzer.analyze("2022年数据产量居世界第一位的国家是哪个")
    assert first.ranks == (1,)
    said = "2022年，中国数据产量达8.1ZB，全球占比达10.5%，居世界第二位。"
    assert rank_found(first, said) == 0.0  # another place only
    assert rank_found(first, "2022年，中国数据产量达8.1ZB。") == 0.5  # no place stated
    assert rank_found(analyzer.analyze("中国数据产量排第二吗"), said) == 1.0
    assert rank_found(analyzer.analyze("中国数据产量多少"), said) == 1.0  # no place asked


def test_a_figure_of_another_scope_does_not_answer(analyzer: QuestionAnalyzer) -> None:
    assert scopes("中国对美国出口") == ("全国",) and scopes("咱们国家居世界第二") == ("全球", "全国")
    assert scopes("上海市数字服务出口") == ()
    china = analyzer.analyze("2022年中国电子商务零售额多少")
    assert china.scopes == ("全国",)
    assert scope_found(china, "预计2025年全球电子商务零售额将突破7万亿美元。") == 0.0  # another scope only
    assert scope_found(china, "中国网上零售额13.79万亿元，占全球比重约50%。") == 1.0  # its own scope too
    assert scope_found(china, "网上零售额达13.79万亿元。") == 1.0  # no scope named: it may be the question's
    assert scope_found(analyzer.analyze("上海数字服务出口多少"), "全球出口4.1万亿美元。") == 1.0  # none asked


def test_what_a_how_many_question_counts() -> None:
    assert counted_things("中国现在有多少条国际海缆登陆") == (("条", "国际海缆"),)
    assert counted_things("数据跨境服务联盟有多少家成员单位") == (("家", "成员单位"),)  # 成 of 成员 is no 几成
    assert counted_things("首届数贸会一共来了多少观众") == (("", "观众"),)
    assert counted_things("多少个国家和地区参展") == (("个", "国家"),)  # the noun ends at 和
    assert counted_things("出口才多少 看着很低") == ()  # after a blank: chatter, no noun
    assert [counted_things(q) for q in ("卖了多少钱", "多少亿美元", "涨了几个百分点", "涨了几个点", "占几成", "一共有多少",
                                        "哪几个省")] == [()] * 7
    # each how-many part of a question
    assert counted_things("cips有多少家参与者 一年处理多少笔业务") == (("家", "参与者"), ("笔", "业务"))
    # with no noun after the counter, the words before it say what is counted; a noun may start with a letter
    assert counted_things("综试区一共有多少个") == (("个", "综试区"),)
    assert counted_things("2022年新增开通了多少个5g基站") == (("个", "5g基站"),)
    assert counted_things("独角兽企业在全球居第几位") == ()  # a rank, no count
    assert counted_things("交了几份“中国方案”") == (("份", "中国方案"),)  # a noun in quotes
    assert counted_things("全世界大概多少人在网上买东西") == (("人", ""),)  # 人: people, what is counted


def test_a_count_is_found_with_its_counter_and_noun(analyzer: QuestionAnalyzer) -> None:
    cables = analyzer.analyze("中国现在有多少条国际海缆登陆")
    assert counted_found(cables, "累计建设34条跨境陆缆和多条国际海缆") == 0.5  # the counter, another noun
    assert counted_found(cables, "已建成国际海缆12条") == 1.0  # the noun before the count
    cities = analyzer.analyze("国内有多少座城市拥有专用通道")
    assert counted_found(cities, "全国共有47个城市拥有国际互联网数据专用通道") == 1.0  # 个, the general counter
    assert counted_found(analyzer.analyze("有多少个综试区"), "已设立165家综试区") == 1.0
    firms = analyzer.analyze("首届数贸会有多少家企业参展")
    assert counted_found(firms, "吸引800余家数字贸易领域重点企业参展，实现贸易投资额近1500亿元") == 1.0  # same clause
    assert counted_found(analyzer.analyze("联盟有多少家成员单位"), "推动31个数据出境场景完成审查") == 0.5  # 个, no 成员
    assert counted_found(analyzer.analyze("首届数贸会来了多少观众"), "2022年吸引800余家企业参展") == 0.0  # 2022年 no count
    assert counted_found(analyzer.analyze("出口额是多少亿美元"), "出口1.2万亿美元") == 1.0  # counts no thing
    # a question of two counts: the best fit of either
    both = analyzer.analyze("cips有多少家参与者 一年处理多少笔业务")
    assert counted_found(both, "cips系统共有参与者1360家") == 1.0
    assert counted_found(both, "全年cips系统累计处理支付业务440万笔") == 1.0
    assert counted_found(both, "数字人民币累计交易量3.6亿笔") == 0.5  # 笔, no 业务
    # each part read on its own: the sentence of one count answers the other not at all
    firms_part, deals_part = both.parts()
    assert (firms_part.counted, deals_part.counted) == ((("家", "参与者"),), (("笔", "业务"),))
    assert [part_found(p, "cips系统共有参与者1360家") for p in both.parts()] == [1.0, 0.0]
    assert [part_found(p, "全年cips系统累计处理支付业务440万笔") for p in both.parts()] == [0.0, 1.0]
    assert analyzer.analyze("cips有多少家参与者").parts() == ()  # one part: the question itself


def test_a_figure_the_question_states_answers_nothing(analyzer: QuestionAnalyzer) -> None:
    given = analyzer.analyze("天河区那10件涉外案件里涉及美国的有几件")
    assert given.numbers == ("10",)
    text = "办理天河区企业涉外案件10件，涉及中国台湾、约旦、美国等境外地区和国家。"
    assert counted_found(given, text) == 0.0 and type_verdicts(given, text) == [False]
    asked = analyzer.analyze("天河区涉外案件有几件")
    assert counted_found(asked, text) == 1.0 and type_verdicts(asked, text) == [True]
    # another figure of the text is new: 93 and 113 beside the question's 72
    listed = analyzer.analyze("72家上市企业中境外上市的有多少家")
    assert type_verdicts(listed, "上市企业72家，收入过亿元企业达93家") == [True]


def test_what_a_when_question_dates(analyzer: QuestionAnalyzer) -> None:
    # the verb after the date cue, past modals and adverbs before it and a complement after it
    assert dated_events("中国加入depa的谈判预计什么时候能谈完?") == ("谈完",)
    assert dated_events("《北京市数字经济促进条例》自何时起正式施行?") == ("施行",)
    assert dated_events("rcep是哪年几月正式生效的") == ("生效",)
    assert dated_events("国家数据局啥时候挂牌成立的 管啥的") == ("挂牌成立",)
    # a one-character verb says too little; a cue at the end or before 的 dates nothing
    assert [dated_events(q) for q in ("首届数贸会啥时候办的", "那个办法是哪年几月出来的", "论坛是在什么时候",
                                      "份额从哪一年的多少上升到", "出口多少")] == [()] * 5
    depa = analyzer.analyze("中国加入DEPA的谈判预计什么时候能谈完")
    assert depa.dated == ("谈完",)
    assert dated_found(depa, "2022年8月，中国加入DEPA工作组正式成立，全面推进中国加入DEPA的谈判。") == 0.0
    assert dated_found(depa, "双方预计2025年谈完") == 1.0
    # a longer verb is found in part (term_found): 成立, one of the three character pairs of 挂牌成立, times 0.8
    founded = analyzer.analyze("国家数据局啥时候挂牌成立的")
    assert dated_found(founded, "2023年3月，国家数据局正式成立") == pytest.approx(0.8 / 3)
    # a how-much question dates nothing; the asked fit is its measure's
    cloud = analyzer.analyze("2022年中国公有云市场规模是多少")
    assert dated_found(cloud, "无关") == 1.0
    assert asked_found(cloud, "2022年中国云计算市场规模为4550亿元") == measured_found(cloud, "2022年中国云计算市场规模为4550亿元")


def test_what_a_how_much_question_measures(analyzer: QuestionAnalyzer) -> None:
    tagged = analyzer.tokenizer.tagged
    assert measured_things("2022年中国公有云市场规模是多少", tagged) == ("中国公有云市场规模",)
    assert measured_things("研发投入是多少", tagged) == ("研发投入",)
    assert measured_things("跨电进出口一共多少钱", tagged) == ("跨电进出口",)
    # a year stated between the measure and its 多少 is a specific, not the measure (was 年是, 年底)
    assert measured_things("数字服务出口2022年是多少", tagged) == ("数字服务出口",)
    assert measured_things("数字人民币交易额2022年底多少", tagged) == ("数字人民币交易额",)
    assert [measured_things(q, tagged) for q in ("2022年是哪一年", "国家数据局是哪年几月成立的", "排前五的是哪几个省市")] \
        == [()] * 3
    assert analyzer.analyze("中国有多少条国际海缆").measured == ()  # a count: its noun says what is counted
    # each how-much part; a question that counts a thing measures nothing
    assert measured_things("跨境电商进出口多少 出口多少", tagged) == ("跨境电商进出口", "出口")
    assert measured_things("数贸会有多少家企业参展 投资额多少", tagged) == ()
    # the measure's name without the words after it: a time, an adverb, a pronoun, the verb of 涨了
    assert measured_things("数字服务出口去年涨了多少", tagged) == ("数字服务出口",)
    assert measured_things("跨境电商进出口额到底多少", tagged) == ("跨境电商进出口额",)
    assert measured_things("专利和软著各多少", tagged) == ("专利和软著",)
    assert measured_things("海外市场收入一年多少", tagged) == ("海外市场收入",)
    assert measured_things("出口额 比前一年多了多少", tagged) == ()  # 比前一年多了 names no measure
    # a name read up to twelve characters back starts at a whole word: 国 of 中国 is cut, so dropped
    assert measured_things("中国在全球创新指数中的得分是多少", tagged) == ("在全球创新指数中的得分",)
    # nor at a particle: 园 of 软件园 is cut, and the 的 after it starts no name
    assert measured_things("2022年成都天府软件园的企业研发投入是多少", tagged) == ("企业研发投入",)
    # nor at a pronoun: 我国 and 那个 point, the measure is what follows (and so its reason reads)
    assert measured_things("我国数字服务贸易顺差有多少", tagged) == ("数字服务贸易顺差",)
    assert analyzer.analyze("那个跨境电商出口22年做了多少").measured == ("跨境电商出口",)
    assert analyzer.analyze("数字服务出口去年涨了多少").measured == ("数字服务出口",)
    # its last six characters are looked for before a figure (有云市场规模 of 中国公有云市场规模: 市场规模, 4 / 6),
    # and its head there with its qualifiers before it (规模; 中国 and 市场 of 中国, 公有, 市场): the better
    cloud = analyzer.analyze("2022年中国公有云市场规模是多少")
    weight = analyzer.weight
    headed = 0.5 + (weight("中国") + weight("市场")) / (weight("中国") + weight("公有") + weight("市场")) / 2
    assert headed > 4 / 6
    assert measured_found(cloud, "2022年中国云计算市场规模为4550亿元") == pytest.approx(headed)
    assert measured_found(cloud, "云计算市场规模增长快，占比达到30%") == 0.0  # in another clause
    assert measured_found(analyzer.analyze("全国出口额多少"), "研发投入达613.4亿元") == 0.0
    # a question of two amounts: the best fit of either
    cross = analyzer.analyze("跨境电商进出口多少 出口多少")
    assert measured_found(cross, "其中出口额达1.55万亿元") == 1.0  # 出口, the second
    assert measured_found(cross, "跨境电商进口额达0.56万亿元") == 4 / 6  # 境电商进 of the first, no 出口


def test_a_measure_is_read_into_its_head_and_qualifiers(analyzer: QuestionAnalyzer) -> None:
    def words(question: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(w.head, tuple(q for q, _ in w.qualifiers)) for w in analyzer.analyze(question).measure_words]

    # the last noun is the head; a pronoun (我国, 咱们), a numeral or an adverb qualifies nothing
    assert words("我国数字服务贸易顺差是多少") == [("顺差", ("数字服务贸易",))]
    assert words("国内cloud市场2022年多大盘子") == [("市场", ("国内", "cloud"))]
    assert words("ict服务出口多少") == [("出口", ("ict", "服务"))]
    assert words("跨境电商进出口多少 出口多少") == [("进出口", ("跨境电商",)), ("出口", ())]  # one per part
    assert words("具体占多少") == [("", ())]  # no noun: no head, read by the name's end alone
    assert analyzer.analyze("跨境电商进出口多少 出口多少").parts()[1].measure_words == (MeasureWords("出口"),)


def test_a_sentence_that_goes_on_with_the_one_before_reads_its_topic(analyzer: QuestionAnalyzer) -> None:
    exports = analyzer.analyze("跨境电商出口额多少")
    topic = "跨境电商进出口额达2.11万亿元人民币，同比增长9.8%。"
    then = "其中，出口额达1.55万亿元，同比增长11.7%。"
    # alone, 出口额 of 境电商出口额 (3 / 6), or the head with no qualifier (1 × 0.5)
    assert measured_found(exports, then) == 0.5
    assert measured_found(exports, then, topic) == 1.0  # 跨境电商 stated in the sentence it goes on with
    assert measured_found(exports, "出口额达1.55万亿元。", topic) == 0.5  # a sentence of its own: no topic
    assert measured_found(exports, "其他出口额达1.55万亿元。", topic) == 0.5  # 其他 goes on with nothing
    assert asked_found(exports, then, topic) == 1.0
    # a qualifier stated earlier in the sentence itself
    assert measured_found(exports, "跨境电商发展快，出口额达1.55万亿元") == 1.0
    assert headed_found(MeasureWords(), "出口额达", "跨境电商") == 0.0


def test_the_asked_kind_is_no_name(analyzer: QuestionAnalyzer) -> None:
    q = QuestionAnalyzer(Tokenizer(), {**VOCAB, "城市": 5, "上海": 6}, np.append(IDF, [1.0, 1.0]))
    record = q.analyze("2022年上海合作的会议在哪座城市举行")
    assert "城市" not in record.names
    assert record.years == ("2022",)


def test_coverage_counts_alias_forms_and_ignores_de(analyzer: QuestionAnalyzer) -> None:
    q = analyzer.analyze("基地出口")
    assert coverage(q, "基地的出口")[0] == pytest.approx(1.0)
    q2 = analyzer.analyze("数字贸易")
    assert coverage(q2, "数字的贸易")[1] == frozenset({"数字", "贸易"})


def test_share_found_matches_numbers_whole() -> None:
    assert share_found(("5",), "建成5G基站") == 1.0
    assert share_found(("5",), "建成15个") == 0.0
    assert share_found(("山东省",), "山东") == 1.0  # two thirds of a name
    # a name is found by a form the report defines as the same
    assert share_found(("wto", "中国"), "中国加入世界贸易组织") == 0.5
    assert share_found(("wto", "中国"), "中国加入世界贸易组织", {"wto": ("世界贸易组织",)}) == 1.0
    assert share_found(("新西兰",), "新加坡") == 0.0
    assert share_found(("浦东软件园",), "上海浦东软件园") == 1.0
    # a name the report writes with a bracketed qualifier, typed without the brackets
    assert share_found(("南京软件谷",), "中国（南京）软件谷产值由2170亿元增至2600亿元") == 1.0
    assert share_found(("南京软件园",), "中国（南京）软件谷") == 0.0  # another name


def test_side_found_tells_import_from_export(analyzer: QuestionAnalyzer) -> None:
    q = analyzer.analyze("中国进口多少")
    assert side_found(q, "进口额1621.70") == 1.0
    assert side_found(q, "出口额2105.37") == 0.0
    assert side_found(q, "进出口额3727.07") == 0.0  # both sides together are not the one asked
    assert side_found(q, "规模3727.07") == 0.5


def test_a_side_in_everyday_words(analyzer: QuestionAnalyzer) -> None:
    """Selling abroad is exporting and buying from abroad importing; the report's word, when the question
    has it, comes first; the side so read is searched for too."""
    sold = analyzer.analyze("德国印度数字服务卖到国外谁多")
    assert (sold.trade_side, sold.search_text) == ("出口", "德国 印度 数字服务 卖 到 国外 多 出口")
    assert analyzer.analyze("我们从海外买的软件服务多少").trade_side == "进口"
    assert analyzer.analyze("数字服务出口多少 游戏出海的盘子").trade_side == "出口"
    assert analyzer.analyze("外国的数字服务多少").trade_side is None
    assert analyzer.analyze("从国外买的多还是出口多").trade_side == "出口"  # the report's word first
    assert analyzer.analyze("游戏出海一年多少钱").trade_side is None  # 出海 is also reaching the sea


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("date", "2021年6月出台", True), ("date", "出台了法律", False),
    ("quantity", "2022年3月投入使用", False), ("quantity", "处理案件103件", True),
    ("money", "海外用户超过1.5亿人", False), ("money", "销售收入达173.5亿美元", True),
    ("definition", "信息通信技术（ICT）", True), ("entity", "撒马尔罕", None),
    # whether it rose or fell: a rate or a word of direction, not an amount alone
    ("change", "日本出口1171.41，同比-6.12%", True), ("change", "产值由3366亿元增至4759亿元", True),
    ("change", "日本的数字服务出口为1171亿美元", False),
])
def test_kind_found(kind: str, text: str, expected: bool | None) -> None:
    assert kind_found(kind, text) is expected


# -- tables as data ----------------------------------------------------------------------------

TABLE = Table("t4", "4", "表4 2020—2022年部分基地数字产业产值", "（单位：亿元）", ("基地", "2022年", "2021年"),
              (TableRow(("中关村软件园", "4759", "4295"), 10, 20),
               TableRow(("中国（南京）软件谷", "2600", "2500"), 20, 30),
               TableRow(("成都天府软件园", "1554", "1612"), 30, 40)),
              "", ("实践篇",), 1, 1, 0, 40)


def row_passages(table: Table) -> list[Passage]:
    from reportqa.chunking.passage import Sentence

    out = []
    for k, row in enumerate(table.rows):
        text = render_row(table, row)
        out.append(Passage(f"p-row{k}", "doc", "table_row", text, table.section_path, 1, 1, row.start, row.end,
                           ((row.start, row.end),), (Sentence(text, row.start, row.end),)))
    return out


def test_columns_label_repeated_names_and_skip_running_numbers() -> None:
    table = Table("t1", "1", "表1", "（单位：亿美元；%）", ("序号", "国家", "出口", "同比"),
                  (TableRow(("1", "美国", "6560.54", "4.93"), 0, 1), TableRow(("2", "中国", "2105.37", "7.59"), 1, 2)),
                  "", (), 1, 1, 0, 2)
    assert [(c.k, c.label, c.rate) for c in columns(table)] == [(2, "出口", False), (3, "同比", True)]


def test_named_rows_need_a_piece_no_other_row_has() -> None:
    labels = ["中关村软件园", "中国（南京）软件谷", "成都天府软件园"]
    assert named_rows(labels, "成都和中关村哪个高") == [2, 0]
    assert named_rows(labels, "软件园哪个高") == []
    # a piece of the table's own title or header names no row: 产业 of 数字产业产值, not of …产业园
    parks = ["中关村软件园", "中国（南京）软件谷", "杭州高新技术产业开发区（滨江）物联网产业园"]
    assert named_rows(parks, "2022年数字产业产值排第二位的基地") == [2]
    assert named_rows(parks, "2022年数字产业产值排第二位的基地", "表4部分基地数字产业产值基地2022年") == []
    # the report's setting (中国) names only the row it is the whole label of, not 中国（南京）软件谷
    setting = frozenset({"中国"})
    assert named_rows(labels, "2022年中国可数字化交付服务进出口额是多少", "", setting) == []
    assert named_rows(labels, "2022年中国可数字化交付服务进出口额是多少") == [1]
    assert named_rows(["美国", "中国", "印度"], "中国和印度哪个高", "", setting) == [1, 2]
    assert named_rows(labels, "中国南京软件谷出口多少", "", setting) == [1]  # by 软件谷, a piece of its own


def test_a_question_names_a_table_by_its_number() -> None:
    assert [table_named(t) for t in ("据表4,2022年排第二的", "表三那几个基地", "表1里面哪个国家", "表里那几个国家",
                                     "产值表 2022年排第二的", "表示", "代表三个")] == ["4", "3", "1", None, None, None, None]


@pytest.mark.parametrize(("question", "statement", "rows"), [
    ("中关村软件园和中国（南京）软件谷2022年数字产业产值哪个高",
     "2022年：中关村软件园（4759亿元）高于中国（南京）软件谷（2600亿元），相差2159亿元。", ["p-row0", "p-row1"]),
    ("中关村软件园和中国（南京）软件谷谁的2022年数字产业产值低",  # asked which is lower: that one first
     "2022年：中国（南京）软件谷（2600亿元）低于中关村软件园（4759亿元），相差2159亿元。", ["p-row0", "p-row1"]),
    ("数字产业产值最低的基地", "2022年最低的是成都天府软件园（1554亿元），其次是中国（南京）软件谷（2600亿元，相差1046亿元）。",
     ["p-row2", "p-row1"]),
    ("产值最高的两个基地", "2022年最高的2个是中关村软件园（4759亿元）、中国（南京）软件谷（2600亿元）。",
     ["p-row0", "p-row1"]),
    ("成都天府软件园产值22年比21年是涨了还是跌了", "成都天府软件园2022年1554亿元，2021年1612亿元，下降。", ["p-row2"]),
    ("南京软件谷产值排第几", "中国（南京）软件谷2022年2600亿元，在表中3个中排第2位（第一为中关村软件园，4759亿元）。",
     ["p-row1", "p-row0"]),
    ("中关村软件园产值排第几", "中关村软件园2022年4759亿元，在表中3个中排第1位。", ["p-row0"]),  # first: no "第一为" itself
    ("产值排第二的是哪个基地", "2022年排第2的是中国（南京）软件谷（2600亿元）（表中3个，第一为中关村软件园，4759亿元）。",
     ["p-row1", "p-row0"]),
    ("产值涨得最猛的是哪个", "2022年最高的是中关村软件园（4759亿元），其次是中国（南京）软件谷（2600亿元，相差2159亿元）。",
     ["p-row0", "p-row1"]),
    ("21年到22年产值涨得最多的是哪个", "2021年到2022年增加最多的是中关村软件园：2021年4295亿元，2022年4759亿元，增加464亿元。",
     ["p-row0"]),
    ("21到22年产值增加最少的是哪个", "2021年到2022年增加最少的是成都天府软件园：2021年1612亿元，2022年1554亿元，减少58亿元。",
     ["p-row2"]),
    # two years named (the table's own title) but no change asked: the level of the latest of them
    ("《2021—2022年部分基地数字产业产值》里2022年产值最低的基地", "2022年最低的是成都天府软件园（1554亿元），其次是"
     "中国（南京）软件谷（2600亿元，相差1046亿元）。", ["p-row2", "p-row1"]),
])
def test_table_statements_are_computed_from_cells(analyzer: QuestionAnalyzer, question: str, statement: str,
                                                  rows: list[str]) -> None:
    reasoner = TableReasoner([(TABLE, row_passages(TABLE))])
    computed = reasoner.compute(analyzer.analyze(question), {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in computed][:1] == [(statement, rows)]


def test_which_rows_fell_is_a_filter_by_sign(analyzer: QuestionAnalyzer) -> None:
    table = Table("t1", "1", "表1 2022年主要经济体数字服务出口", "（单位：亿美元；%）", ("国家", "出口", "出口同比"),
                  (TableRow(("美国", "6560.54", "4.93"), 0, 1), TableRow(("英国", "3780.21", "-4.44"), 1, 2),
                   TableRow(("日本", "1171.41", "-0.45"), 2, 3), TableRow(("印度", "2354.18", "25.93"), 3, 4)),
                  "", (), 1, 1, 0, 4)
    reasoner = TableReasoner([(table, row_passages(table))])
    q = analyzer.analyze("哪几个国家数字服务出口同比下降了")
    assert (q.sign, q.falling) == (-1, False)
    computed = reasoner.compute(q, {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in computed] == [
        ("出口同比为负的是英国（-4.44%）、日本（-0.45%），共2个（表中4个）。", ["p-row1", "p-row2"])]
    grew = analyzer.analyze("哪些国家数字服务出口同比正增长")
    assert grew.sign == 1
    assert [(c.text, [p.id for p in c.rows]) for c in reasoner.compute(grew, {("doc", 0)})] == [
        ("出口同比为正的是美国（4.93%）、印度（25.93%），共2个（表中4个）。", ["p-row0", "p-row3"])]
    # asked how many have a sign, or with the rise said of the items (是涨的有哪几个): the same filter
    assert [analyzer.analyze(t).sign for t in ("出口同比下降的有几个", "出口是涨的有哪几个", "出口是增长的有多少个")] == [-1, 1, 1]
    assert analyzer.analyze("出口下降了几个百分点").sign == 0  # a figure's change, no count of items
    # a superlative of a fall is no filter; a question naming its row asks that row's change
    assert analyzer.analyze("出口跌得最狠的是哪个").sign == 0
    assert analyzer.analyze("英国出口同比是不是下降了").sign == 0


def test_a_question_over_items_asks_about_a_set(analyzer: QuestionAnalyzer) -> None:
    # the largest, a place, a row's place and those that fell are read off every row of a table
    assert [analyzer.analyze(t).over_items for t in (
        "表1那十个国家里数字服务出口跌得最狠的是哪个", "出口排第三的是谁", "印度出口排第几", "哪些国家出口下降了",
        "印度出口多少", "美国和英国谁的出口多", "英国出口同比是不是下降了")] == [True, True, True, True, False, False, False]


def small_table(number: str, title: str, header: tuple[str, ...], *rows: tuple[str, ...]) -> Table:
    """A table of ``rows`` in amounts and per cents, one line each."""
    return Table(f"t{number}", number, title, "（单位：亿美元；%）", header,
                 tuple(TableRow(cells, i, i + 1) for i, cells in enumerate(rows)), "", (), 1, 1, 0, len(rows))


def statements(analyzer: QuestionAnalyzer, table: Table, question: str) -> list[tuple[str, list[str]]]:
    """What the reasoner computes over ``table`` alone for ``question``: each text with its rows' ids."""
    computed = TableReasoner([(table, row_passages(table))]).compute(analyzer.analyze(question), {("doc", 0)})
    return [(c.text, [p.id for p in c.rows]) for c in computed]


def test_a_rate_is_stated_with_the_amount_it_is_the_change_of(analyzer: QuestionAnalyzer) -> None:
    table = small_table("1", "表1 2022年主要经济体数字服务出口", ("国家", "出口", "出口同比"),
                        ("美国", "6560.54", "4.93"), ("英国", "3780.21", "-4.44"), ("印度", "2354.18", "25.93"))
    assert statements(analyzer, table, "哪个国家数字服务出口同比涨得最快") == [
        ("出口同比最高的是印度（25.93%；出口2354.18亿美元），其次是美国（4.93%，相差21.00个百分点）。", ["p-row2", "p-row0"])]
    assert statements(analyzer, table, "英国数字服务出口排第几")[-1:] == [
        ("英国出口3780.21亿美元，出口同比-4.44%，在表中3个中排第2位（第一为美国，6560.54亿美元）。", ["p-row1", "p-row0"])]


def test_whether_any_row_fell_is_answered_by_none_and_the_lowest(analyzer: QuestionAnalyzer) -> None:
    table = Table("t1", "1", "表1 2022年主要经济体数字服务出口", "（单位：亿美元；%）", ("国家", "出口", "出口同比"),
                  (TableRow(("美国", "6560.54", "4.93"), 0, 1), TableRow(("印度", "2354.18", "25.93"), 1, 2),
                   TableRow(("日本", "1171.41", "0.45"), 2, 3)), "", (), 1, 1, 0, 3)
    q = analyzer.analyze("表里有没有出口同比负增长的国家")
    assert q.sign == -1
    # whether one quantity fell is its change, not a filter of rows
    assert analyzer.analyze("2022年跨境电商进口有没有下降").sign == 0
    computed = TableReasoner([(table, row_passages(table))]).compute(q, {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in computed] == [
        ("出口同比没有为负的（表中3个，最低为日本，0.45%）。", ["p-row2"])]


SIDES = Table("t2", "2", "表2 2022年部分省市数字服务贸易", "（单位：亿美元；%）",
              ("省市", "出口额", "增速", "进口额", "增速"),
              (TableRow(("海南", "7.64", "87.51", "10.40", "-34.03"), 0, 1),
               TableRow(("天津", "30.31", "8.38", "38.20", "-4.59"), 1, 2)), "", (), 1, 1, 0, 2)


def test_every_side_a_question_names_is_stated(analyzer: QuestionAnalyzer) -> None:
    assert analyzer.analyze("海南进口和出口都降了吗").trade_sides == ("进口", "出口")
    assert analyzer.analyze("海南进出口增速多少").trade_sides == ("进出口",)
    assert analyzer.analyze("卖到国外的和出口哪个多").trade_sides == ("出口",)
    # a side inside a longer word names that word's thing: 数字服务出口基地 is a base, not the export side
    assert analyzer.analyze("数字服务出口基地所在省市里进出口增速最快的").trade_sides == ("进出口",)
    assert analyzer.analyze("数字服务出口多少").trade_sides == ("出口",)
    reasoner = TableReasoner([(SIDES, row_passages(SIDES))])
    both = reasoner.compute(analyzer.analyze("海南出口增速和进口增速分别是多少"), {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in both] == [
        ("海南出口额7.64亿美元，出口额增速87.51%，增长；进口额10.40亿美元，进口额增速-34.03%，下降。", ["p-row0"])]
    # a superlative states the other side the question names of the row it picks
    top = reasoner.compute(analyzer.analyze("出口增速最高的是哪个省 它进口是涨了还是掉了"), {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in top] == [
        ("出口额增速最高的是海南（87.51%；出口额7.64亿美元；进口额增速-34.03%），其次是天津（8.38%，相差79.13个百分点）。", ["p-row0", "p-row1"])]
    one = reasoner.compute(analyzer.analyze("出口增速最高的是哪个省"), {("doc", 0)})
    assert [c.text for c in one] == ["出口额增速最高的是海南（87.51%；出口额7.64亿美元），其次是天津（8.38%，相差79.13个百分点）。"]


def test_two_sides_of_a_row_set_against_each_other(analyzer: QuestionAnalyzer) -> None:
    """A row's two sides compared (which is higher, how far apart), and, naming no row, the rows
    where one side is above the other; a superlative is no such comparison."""
    reasoner = TableReasoner([(SIDES, row_passages(SIDES))])

    def said(question: str) -> list[tuple[str, list[str]]]:
        return [(c.text, [p.id for p in c.rows]) for c in reasoner.compute(analyzer.analyze(question), {("doc", 0)})]

    assert said("天津数字服务出口额和进口额哪个大") == [
        ("天津：进口额（38.20亿美元）高于出口额（30.31亿美元），相差7.89亿美元。", ["p-row1"])]
    assert said("哪些省市进口额高于出口额") == [
        ("进口额高于出口额的是海南（进口额10.40亿美元，出口额7.64亿美元）、天津（进口额38.20亿美元，出口额30.31亿美元）"
         "（表中2个）。", ["p-row0", "p-row1"])]
    assert said("哪些省市进口增速高于出口增速") == [
        ("没有进口额增速高于出口额增速的（表中2个，最接近的是天津：进口额增速-4.59%，出口额增速8.38%）。", ["p-row1"])]
    assert said("进口增速最低的是哪个 出口怎么样") == [
        ("进口额增速最低的是海南（-34.03%；进口额10.40亿美元；出口额增速87.51%），其次是天津（-4.59%，相差29.44个百分点）。",
         ["p-row0", "p-row1"])]


def test_a_total_row_is_no_item_to_set_against_its_parts(analyzer: QuestionAnalyzer) -> None:
    table = Table("t2", "2", "表2 2022年部分省市数字服务贸易", "（单位：亿美元）", ("省市", "进口额"),
                  (TableRow(("上海", "365.82"), 0, 1), TableRow(("北京", "384.15"), 1, 2),
                   TableRow(("12省市合计", "1531.83"), 2, 3)), "", (), 1, 1, 0, 3)
    reasoner = TableReasoner([(table, row_passages(table))])
    computed = reasoner.compute(analyzer.analyze("12省市里进口额最大的是不是上海"), {("doc", 0)})
    assert [(c.text, [p.id for p in c.rows]) for c in computed] == [
        ("进口额最高的是北京（384.15亿美元），其次是上海（365.82亿美元，相差18.33亿美元）。", ["p-row1", "p-row0"])]


def test_two_totals_are_set_against_each_other(analyzer: QuestionAnalyzer) -> None:
    table = small_table("2", "表2 2022年部分省市数字服务贸易", ("省市", "出口额", "出口额增速"),
                        ("上海", "619.96", "3.93"), ("12省市合计", "2013.39", "7.36"), ("全国", "2105.37", "7.60"))
    assert statements(analyzer, table, "12省市合计的出口额增速与全国相比哪个更高") == [
        ("出口额增速：全国（7.60%）高于12省市合计（7.36%），相差0.24个百分点。", ["p-row1", "p-row2"])]


def test_no_statement_for_a_table_not_retrieved(analyzer: QuestionAnalyzer) -> None:
    reasoner = TableReasoner([(TABLE, row_passages(TABLE))])
    assert reasoner.compute(analyzer.analyze("数字产业产值最低的基地"), {("doc", 99)}) == []


# -- aliases -----------------------------------------------------------------------------------

def test_aliases_are_mined_from_definitions_in_the_text() -> None:
    texts = ["工业和信息化部联合认定了12家国家数字服务出口基地3（以下简称“基地”）。",
             "据世界贸易组织（WTO）统计，全球出口增长。", "出台《个人信息保护法》《数据安全法》。"]
    aliases = mine_aliases(texts, Tokenizer())
    assert aliases.pairs == {"基地": ("国家数字服务出口基地",), "国家数字服务出口基地": ("基地",),
                             "wto": ("世界贸易组织",), "世界贸易组织": ("wto",)}
    assert aliases.names == ("个人信息保护法", "数据安全法")
    assert aliases.expand("个保法") == ("个人信息保护法",)
    assert aliases.expand("数据安全法") == ()  # a name itself is no abbreviation
    assert aliases.expand("个信") == ()  # a short form keeps the name's head (法)
    assert Aliases.from_json(aliases.to_json()) == aliases
    assert Aliases.from_json("junk") == Aliases()


def test_wording_is_the_share_of_pairs_in_the_report_s_words_and_of_runs_in_its_text() -> None:
    runs = frozenset({"中国数", "国数字", "数字贸", "字贸易", "易出口", "出口多", "22年", "2年出", "年出口"})
    a = QuestionAnalyzer(Tokenizer(), VOCAB, IDF, runs=runs)  # words 数字 贸易 出口 中国 基地
    # pairs 中国 国数 数字 字贸 贸易 易出 出口 口多 多少 (the ？ left out): 中国 数字 贸易 出口 are words;
    # runs 中国数 国数字 数字贸 字贸易 贸易出 易出口 出口多 口多少: six in the text
    q = a.analyze("中国数字贸易出口多少？")
    assert (q.wording, q.phrasing) == (pytest.approx(4 / 9), pytest.approx(6 / 8))
    # the blank is left out too: pairs 老板 板问 问中 中国 国出 出口 (中国, 出口); no run in the text
    q = a.analyze("老板问 中国出口")
    assert (q.wording, q.phrasing) == (pytest.approx(2 / 6), 0.0)
    # read as typed, though the question's norm writes 2022年: pairs 22 2年 年出 出口, runs 22年 2年出 年出口
    q = a.analyze("22年出口")
    assert (q.norm, q.wording, q.phrasing) == ("2022年出口", pytest.approx(1 / 4), 1.0)
    assert a.wording("２２年出口") == (pytest.approx(1 / 4), 1.0)  # full width is normalised
    assert a.wording("中国") == (1.0, 0.0)  # one pair, no run
    assert a.wording("中") == (0.0, 0.0)
    # a pair inside a longer word counts (字贸 in 数字贸易), one across two words does not;
    # an analyser built without the index's runs finds no phrase in the report
    both = QuestionAnalyzer(Tokenizer(), {"数字贸易": 0}, np.array([1.0]))
    assert both.wording("数字贸易出口") == (pytest.approx(3 / 5), 0.0)


def test_a_word_the_report_never_uses_shortens_the_most_used_word_of_its_parts() -> None:
    vocab = {**VOCAB, "跨境电商": 5, "数字服务": 6, "数据服务": 7, "中华文化": 8}
    a = QuestionAnalyzer(Tokenizer(), vocab, np.append(IDF, [1.0, 1.5, 2.5, 3.0]))
    # first characters of two-character parts; of 数字服务 and 数据服务 the more used (lower idf)
    assert (a.long_form("跨电"), a.long_form("数服")) == (("跨境电商",), ("数字服务",))
    assert a.long_form("中文") == ()  # a common word of general Chinese shortens nothing
    assert a.long_form("数字") == ()  # a word the report uses is its own
    q = a.analyze("跨电出口多少")
    assert q.expansions == {"跨电": ("跨境电商",)} and q.search_text == "跨 电 出口 多少 跨境电商"


def test_short_forms_in_brackets_are_mined_when_they_shorten_the_name_before_them() -> None:
    texts = ["浙江省举办首届全球数字贸易博览会（数贸会）。", "杭州高新区（滨江）物联网产业园。",
             "《区域全面经济伙伴关系协定》（RCEP）正式生效。", "积极参与二十国集团（G20）。"]
    aliases = mine_aliases(texts, Tokenizer())
    # 数贸会 takes its characters, in order, from the name; 滨江 is a gloss, not a short form
    assert aliases.pairs == {"数贸会": ("全球数字贸易博览会",), "全球数字贸易博览会": ("数贸会",),
                             "rcep": ("区域全面经济伙伴关系协定",), "区域全面经济伙伴关系协定": ("rcep",),
                             "g20": ("二十国集团",), "二十国集团": ("g20",)}


# -- the fitted models -------------------------------------------------------------------------

def test_linear_model_is_a_standardised_logistic_regression() -> None:
    model = LinearModel(("a", "b"), (2.0, -1.0), 0.5, (1.0, 0.0), (2.0, 1.0))
    x = np.array([3.0, 1.0])  # standardised: (1, 1) → 2 - 1 + 0.5 = 1.5
    assert model.probability(x) == pytest.approx(1 / (1 + math.exp(-1.5)))
    assert model.contributions(x) == {"a": 2.0, "b": -1.0}
    # every row at once: (1, 1) → 1.5 and (-0.5, 0) → -1 + 0.5 = -0.5
    assert model.probabilities(np.array([[3.0, 1.0], [0.0, 0.0]])) == pytest.approx(
        [1 / (1 + math.exp(-1.5)), 1 / (1 + math.exp(0.5))], abs=1e-15)


def _two_trees() -> TreeModel:
    # tree 1: a <= 0.5 ? 1.0 : -1.0;  tree 2: b <= 2 ? (a <= 0.2 ? 0.5 : 0.0) : 2.0
    return TreeModel(("a", "b"), 0.1, 0.5,
                     feature=np.array([[0, -1, -1, -1, -1], [1, 0, -1, -1, -1]]),
                     threshold=np.array([[0.5, 0, 0, 0, 0], [2.0, 0.2, 0, 0, 0]]),
                     left=np.array([[1, 0, 0, 0, 0], [1, 2, 0, 0, 0]]),
                     right=np.array([[2, 0, 0, 0, 0], [4, 3, 0, 0, 0]]),
                     value=np.array([[0, 1.0, -1.0, 0, 0], [0, 0, 0.5, 0.0, 2.0]]), depth=2)


def test_tree_model_adds_the_leaves_each_row_reaches() -> None:
    model = _two_trees()
    x = np.array([[0.3, 1.0], [0.1, 5.0], [0.1, 1.0], [0.9, 2.0]])
    # log-odds 0.1 + 0.5 × (1 + 0), (1 + 2), (1 + 0.5), (-1 + 0): a threshold itself goes left
    z = np.array([0.6, 1.6, 0.85, -0.4])
    assert model.probabilities(x) == pytest.approx(1 / (1 + np.exp(-z)))
    assert model.probability(x[1]) == pytest.approx(1 / (1 + math.exp(-1.6)))


def test_tree_model_compares_in_the_fitting_library_s_precision() -> None:
    # 0.3 lies below tree 1's threshold 0.30000000000000004 in float64, but rounds to 0.3000000119 in float32
    model = TreeModel.from_json({**_two_trees().to_json(), "threshold": [[0.30000000000000004, 0, 0, 0, 0],
                                                                          [2.0, 0.2, 0, 0, 0]]})
    x = np.array([0.3, 5.0])  # tree 2: b > 2 → 2.0
    assert model.float32 and model.probability(x) == pytest.approx(1 / (1 + math.exp(-(0.1 + 0.5 * (-1 + 2)))))
    ranker = TreeModel.from_json({**model.to_json(), "float32": False})
    assert not ranker.float32 and ranker.probability(x) == pytest.approx(1 / (1 + math.exp(-(0.1 + 0.5 * (1 + 2)))))


def test_tree_weights_are_read_back_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    abstain = {**LinearModel(ANSWER_FEATURES, (0.0,) * len(ANSWER_FEATURES), 0.0, (0.0,) * len(ANSWER_FEATURES),
                             (1.0,) * len(ANSWER_FEATURES)).__dict__, "threshold": 0.5}
    trees = _two_trees().to_json()
    path.write_text(json.dumps({"candidate": {**trees, "features": list(CANDIDATE_FEATURES)}, "abstain": abstain}))
    assert isinstance(load_models(path).candidate, TreeModel)
    path.write_text(json.dumps({"candidate": {**trees, "value": [[0.0]]}, "abstain": abstain}))
    with pytest.raises(ValueError, match=r"unusable \(tree arrays differ in shape\)"):
        load_models(path)


@pytest.mark.parametrize(("change", "message"), [
    ({"depth": 1}, "the trees are deeper than their depth says"),  # tree 2's leaves 2 and 3 are two splits down
    ({"left": [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]]}, "a tree's child lies outside it or before its parent"),  # a cycle
    ({"right": [[2, 0, 0, 0, 0], [5, 3, 0, 0, 0]]}, "a tree's child lies outside it or before its parent"),
    ({"feature": [[2, -1, -1, -1, -1], [1, 0, -1, -1, -1]]}, "a tree splits on a feature the model does not have"),
])
def test_trees_that_cannot_be_walked_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TreeModel.from_json({**_two_trees().to_json(), **change})


def _fit_reader() -> Any:
    """``eval/fit_reader.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("fit_reader", Path(__file__).parents[1] / "eval" / "fit_reader.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as importlib's recipe does: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_questions_about_one_fact_share_a_fold() -> None:
    facts = ["p1", "p2", "p1", "p3", "p4", "p2", "p5", "p1", "p6", "p7"]
    folds = _fit_reader().fact_folds(facts, 5)
    assert sorted(folds) == list(range(10)) and set(folds.values()) == set(range(5))
    assert folds[0] == folds[2] == folds[7] and folds[1] == folds[5]
    # GroupKFold puts the largest fact (p1, three questions) first, alone in its fold
    assert [k for k, f in folds.items() if f == folds[0]] == [0, 2, 7]
    # with a seed the facts are dealt at random: other folds, facts still together
    seeded = _fit_reader().fact_folds(facts, 5, seed=1)
    assert seeded[0] == seeded[2] == seeded[7] == seeded[1] == seeded[5] and seeded[3] == seeded[9]
    assert [k for k, f in seeded.items() if f == seeded[0]] == [0, 1, 2, 5, 7]


def test_several_deals_are_for_checking_only(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fit_reader = _fit_reader()
    # the weights are fitted on one deal: --seeds without --check is refused before anything is read
    monkeypatch.setattr(sys, "argv", ["fit_reader.py", "--seeds", "0", "1"])
    with pytest.raises(SystemExit) as refused:
        fit_reader.main()
    assert refused.value.code == 2
    assert "--seeds needs --check" in capsys.readouterr().err
    # one dump per deal: its path must say where the seed goes
    monkeypatch.setattr(sys, "argv", ["fit_reader.py", "--check", "--seeds", "0", "1", "--dump", "cv.json"])
    with pytest.raises(SystemExit) as refused:
        fit_reader.main()
    assert refused.value.code == 2
    assert "--dump needs {seed}" in capsys.readouterr().err


def test_the_false_abstention_cap_reads_supports_of_unseen_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    fit_reader = _fit_reader()
    fitted_on: list[list[int]] = []

    def model(args: object, recs: list[tuple]) -> LinearModel:
        # a stand-in whose support is the share of the six questions it was fitted on
        fitted_on.append([r[0] for r in recs])
        return LinearModel(("x",), (0.0,), math.log(len(recs) / (6 - len(recs))) if len(recs) < 6 else 50.0,
                           (0.0,), (1.0,))

    monkeypatch.setattr(fit_reader, "abstain_model", model)

    class Q:
        def __init__(self, answerable: bool) -> None:
            self.answerable = answerable

    x = np.zeros(1)
    recs = [(0, Q(True), x, True, ""), (1, Q(True), x, True, ""), (2, Q(False), x, False, ""),
            (3, Q(True), None, False, ""), (4, Q(True), x, True, ""), (5, Q(False), x, False, "")]
    fold_of = {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 0}
    unseen = fit_reader.unseen_supports(None, recs, fold_of)
    # each fold's questions scored by a model fitted on the other folds' questions only
    assert fitted_on == [[2, 3, 4], [0, 1, 4, 5], [0, 1, 2, 3, 5]]
    # fold 0 (questions 0, 1, 5) by the model of three, fold 1 by four (question 3 has nothing
    # to say: 0), fold 2 by five
    assert [(round(s, 4), a) for s, a in unseen] == [(0.5, True), (0.5, True), (0.5, False), (0.6667, False),
                                                     (0.0, True), (0.8333, True)]


def test_fitted_trees_give_the_library_s_probabilities() -> None:
    fit_reader = _fit_reader()
    rng = np.random.default_rng(0)
    x = rng.random((400, 3)).round(3)  # ties at thresholds, as features with few values have
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.7)).astype(int)
    model = fit_reader.fit_trees(x, y, ("a", "b", "c"))  # asserts its own read-back against the library
    assert model.feature.shape[0] == fit_reader.TREES
    assert ((model.probabilities(x) > 0.5) == y).mean() > 0.95


def test_fitted_ranking_trees_give_the_library_s_scores() -> None:
    fit_reader = _fit_reader()
    rng = np.random.default_rng(0)
    x = rng.random((600, 3)).round(3)
    groups = np.repeat(np.arange(60), 10)  # 60 questions of 10 candidates, one holding the answer
    y = np.zeros(600, dtype=int)
    y[np.arange(60) * 10 + np.argmax(x[:, 0].reshape(60, 10) - x[:, 1].reshape(60, 10), axis=1)] = 1
    model = fit_reader.fit_ranker(x, y, groups, ("a", "b", "c"))  # asserts its own read-back against the library
    assert model.feature.shape[0] == fit_reader.TREES
    # every child after its parent, as TreeModel.from_json demands of a shipped model
    assert TreeModel.from_json(model.to_json()).depth == model.depth
    p = model.probabilities(x).reshape(60, 10)
    assert (p.argmax(axis=1) == y.reshape(60, 10).argmax(axis=1)).mean() > 0.9


def test_shipped_weights_fit_the_features() -> None:
    models = load_models()
    assert models.candidate.features == CANDIDATE_FEATURES
    assert 0.0 < models.threshold < 1.0


def test_unusable_weights_name_the_file_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    path.write_text(json.dumps({"candidate": {}}), "utf-8")
    with pytest.raises(ValueError, match=r"reader\.json are unusable .*run `python eval/fit_reader.py`"):
        load_models(path)


def test_chunker_renders_the_row_the_reasoner_cites() -> None:
    assert render_row(TABLE, TABLE.rows[0]) == "表4 2020—2022年部分基地数字产业产值（单位：亿元）中关村软件园：2022年4759；2021年4295"
    assert Chunker  # the same renderer serves the index


def test_an_amount_asked_is_no_percentage(analyzer: QuestionAnalyzer) -> None:
    # 多大规模 asks an amount: a sentence whose only figures are percentages does not hold it
    scale = analyzer.analyze("22年全球数字化交付服务出口多大规模")
    assert (scale.percent, scale.share) == (False, False)
    assert type_verdicts(scale, "2012—2022年，全球可数字化交付服务出口年均增长6.1%，高出1.6个百分点。") == [False]
    assert type_verdicts(scale, "2022年全球可数字化交付服务出口额为4.1万亿美元，同比增长3.4%。") == [True]
    # a share, a ratio or a rate is answered by a percentage
    assert [analyzer.analyze(t).percent for t in ("东部地区占全国多少", "5G用户普及率是多少", "出口增长了多少",
                                                   "数据产量全球占几成")] == [True, True, True, True]
    assert type_verdicts(analyzer.analyze("5G用户普及率是多少"), "5G用户普及率达到60%。") == [True]
    assert [analyzer.analyze(t).share for t in ("东部地区占比多少", "普及率是多少")] == [True, False]


def test_a_place_asked_for_is_one_the_question_does_not_name(analyzer: QuestionAnalyzer) -> None:
    tokenizer = Tokenizer()
    summit = "2023年5月，中国—中亚峰会期间，中国同中亚国家达成首份数字贸易区域性合作文件。"
    asked = analyzer.analyze("中国中亚峰会是在哪个城市开的")
    assert asked.asks == ("place",)
    # the sentence names places, but only those the question names itself: no answer
    assert type_verdicts(asked, summit, tokenizer.tagged(summit)) == [False]
    held = "2022年12月，首届全球数字贸易博览会在浙江省杭州市举办。"
    assert type_verdicts(analyzer.analyze("首届数贸会在哪个城市办的"), held, tokenizer.tagged(held)) == [True]
    # 海南 names 海南省 too, and the sentence names no other place (高水平, tagged a person, is none)
    hainan = "海南省以高水平自贸港建设为依托，设立国际通信出入口局。"
    assert type_verdicts(analyzer.analyze("海南设的国际通信出入口局在哪个城市"), hainan,
                         tokenizer.tagged(hainan)) == [False]


def test_an_amount_asked_of_named_rows_is_looked_up(analyzer: QuestionAnalyzer) -> None:
    """The cell a question asks of each row it names: the year's column, each trade side it
    names; nothing for a year the table does not cover, a thing counted or a measure it lacks."""
    years = TableReasoner([(TABLE, row_passages(TABLE))])
    sides = TableReasoner([(SIDES, row_passages(SIDES))])

    def said(reasoner: TableReasoner, question: str) -> list[tuple[str, list[str]]]:
        return [(c.text, [p.id for p in c.rows]) for c in reasoner.compute(analyzer.analyze(question), {("doc", 0)})]

    assert said(years, "南京软件谷21年产值多少") == [("中国（南京）软件谷：2021年2500亿元。", ["p-row1"])]
    assert said(years, "南京软件谷产值多少") == [("中国（南京）软件谷：2022年2600亿元。", ["p-row1"])]
    # the unit asked for (亿元) is a word the table holds: in its unit (单位：亿元), not its title
    assert said(years, "南京软件谷21年产值是多少亿元") == [("中国（南京）软件谷：2021年2500亿元。", ["p-row1"])]
    assert said(years, "南京软件谷21年产值多少 到22年呢") == [
        ("中国（南京）软件谷：2022年2600亿元，2021年2500亿元。", ["p-row1"])]  # each year asked
    assert said(sides, "天津和海南进口额分别多少") == [
        ("天津：进口额38.20亿美元；海南：进口额10.40亿美元。", ["p-row1", "p-row0"])]
    assert said(sides, "海南出口和进口各多少钱") == [("海南：出口额7.64亿美元，进口额10.40亿美元。", ["p-row0"])]
    assert said(years, "南京软件谷2019年产值多少") == []  # the title covers 2020—2022
    assert said(years, "南京软件谷有多少家企业") == []  # a thing counted, no amount
    assert said(years, "南京软件谷研发投入多少") == []  # neither column nor title says 投入
    assert said(sides, "韩国和海南进口额分别多少") == []  # a name the table does not hold
    assert said(sides, "天津对海南的进口额多少") == []  # a pair's flow, which neither row gives
    assert said(sides, "海南跨境电商进口额多少") == []  # a word it does not hold: another measure
    # a lookup states cells read from its rows (which may follow it in an answer); a comparison derives
    # its conclusion from them
    assert [c.looked_up for c in sides.compute(analyzer.analyze("天津和海南进口额分别多少"), {("doc", 0)})] == [True]
    assert [c.looked_up for c in sides.compute(analyzer.analyze("天津和海南谁的进口额大"), {("doc", 0)})] == [False]

