"""One test per rule of the line walk (ingest/parser.py), each on a few-line
synthetic extraction laid out as the PDF text is: a leading space opens a
page, ``- n -`` is a page footer, lines wrap at about 25 characters."""

from __future__ import annotations

import pytest

from reportqa.ingest import CorpusError, Document, ReportParser, SourceFile


def parse(text: str) -> Document:
    return ReportParser().parse(SourceFile("doc", "doc.txt", text, "sha"))


def test_footers_give_the_printed_page_numbers_and_are_dropped() -> None:
    doc = parse(" 第一页的正文写在这里。\n\n- 9 -\n 第二页的正文写在这里。\n\n- 10 -\n")
    assert [p.number for p in doc.pages] == [9, 10]
    assert [p.text for p in doc.paragraphs] == ["第一页的正文写在这里。", "第二页的正文写在这里。"]
    assert [(p.page_start, p.page_end) for p in doc.paragraphs] == [(9, 9), (10, 10)]


def test_a_paragraph_is_rejoined_across_wrapped_lines() -> None:
    doc = parse(" 数字贸易蓬勃兴起，已成为国际贸易发展的新趋势和经\n济的新增长点。\n")
    assert [p.text for p in doc.paragraphs] == ["数字贸易蓬勃兴起，已成为国际贸易发展的新趋势和经济的新增长点。"]
    assert doc.text[doc.paragraphs[0].start : doc.paragraphs[0].end].replace("\n", "") == doc.paragraphs[0].text


def test_a_short_line_after_a_sentence_end_starts_a_paragraph() -> None:
    doc = parse(" 第一段到此为止。\n第二段从这里开始。\n")
    assert [p.text for p in doc.paragraphs] == ["第一段到此为止。", "第二段从这里开始。"]


def test_headings_nest_by_their_numbering() -> None:
    doc = parse(" 综述篇——全球情况\n一、数字交付贸易快速发展\n（一）规模\n正文一句。\n二、数字订购贸易\n正文两句。\n")
    assert [(s.title, s.level) for s in doc.sections] == [
        ("综述篇——全球情况", 0), ("一、数字交付贸易快速发展", 2), ("（一）规模", 3), ("二、数字订购贸易", 2)]
    assert [p.section_path for p in doc.paragraphs] == [
        ("综述篇——全球情况", "一、数字交付贸易快速发展", "（一）规模"), ("综述篇——全球情况", "二、数字订购贸易")]


def test_a_box_is_a_section_of_its_own_and_a_narrow_paragraph_ends_it() -> None:
    wide = "园区完善新型基础设施，建设智慧园区，打造融合通信平台，扩容升级数据中心，建设"  # box lines are wider
    doc = parse(f" 一、基地发展\n专栏1：中关村软件园的做法\n{wide}\n云计算服务平台。\n正文回到这里。\n")
    box = doc.sections[-1]
    assert (box.title, box.is_box) == ("专栏1：中关村软件园的做法", True)
    assert [(p.in_box, p.section_path) for p in doc.paragraphs] == [
        (True, ("一、基地发展", "专栏1：中关村软件园的做法")), (False, ("一、基地发展",))]
    assert doc.paragraphs[0].text == wide + "云计算服务平台。"


def test_a_table_is_rebuilt_with_its_unit_header_rows_and_source() -> None:
    doc = parse(" 表 4 2020—2022年部分基地数字产业产值\n\n（单位：亿元）\n基地 2022年 2021年 2020年\n\n"
                "中关村软件园 4759 4295 3366\n合肥高新区 998 730 656\n\n数据来源：基地所在地商务主管部门\n")
    (table,) = doc.tables
    assert (table.number, table.title, table.unit) == ("4", "表4 2020—2022年部分基地数字产业产值", "（单位：亿元）")
    assert table.header == ("基地", "2022年", "2021年", "2020年")
    assert [r.cells for r in table.rows] == [("中关村软件园", "4759", "4295", "3366"), ("合肥高新区", "998", "730", "656")]
    assert table.source == "数据来源：基地所在地商务主管部门"
    assert doc.paragraphs == ()


@pytest.mark.parametrize("source_first", [True, False])
def test_a_figure_caption_takes_its_source_before_or_after(source_first: bool) -> None:
    lines = ["数据来源：WTO数据库", "图 1 全球可数字化服务出口规模"]
    doc = parse(" 正文一句。\n" + "\n".join(lines if source_first else lines[::-1]) + "\n")
    (caption,) = doc.captions
    assert caption.number == "1"
    assert caption.text.startswith("图") and "全球可数字化服务出口规模" in caption.text
    assert caption.source == ("数据来源：WTO数据库" if source_first else "")


def test_a_footnote_links_to_its_marker_on_the_page() -> None:
    doc = parse(" 认定了12家国家数字服务出口基地1。\n1 基地是指经认定的园区。\n")
    (note,) = doc.footnotes
    assert (note.number, note.text) == (1, "基地是指经认定的园区。")
    assert doc.text[note.marker_offset] == "1" and doc.text[note.marker_offset - 1] == "地"
    assert doc.paragraphs[0].text == "认定了12家国家数字服务出口基地。"  # the marker leaves the prose


def test_a_file_of_footers_only_is_refused() -> None:
    with pytest.raises(CorpusError, match="no report text"):
        parse("- 9 -\n")
