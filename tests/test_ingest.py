"""Ingestion of the real report: pages, paragraphs, tables, footnotes, sections, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportqa.chunking import Passage
from reportqa.ingest import CorpusError, CorpusReader, Document, Table

PART1 = "综述篇——全球和中国数字贸易发展情况"
PART2 = "实践篇——国家数字服务出口基地发展实践"


def table(document: Document, number: str) -> Table:
    (found,) = [t for t in document.tables if t.number == number]
    return found


def cell(t: Table, row_label: str, column: str) -> str:
    """The cell of the row whose label (last text cell before the values) is ``row_label``."""
    (row,) = [r for r in t.rows if row_label in r.cells[:2]]
    return row.cells[t.header.index(column)]


def holding(passages: list[Passage], needle: str) -> list[Passage]:
    return [p for p in passages if needle in p.text]


# -- pages ---------------------------------------------------------------------


def test_pages_are_the_printed_pages_2_to_54(document: Document) -> None:
    assert len(document.pages) == 53
    assert document.pages[0].number == 2
    assert document.pages[-1].number == 54
    assert [p.number for p in document.pages] == list(range(2, 55))
    # pages tile the file in order
    assert all(a.end == b.start for a, b in zip(document.pages, document.pages[1:], strict=False))
    assert document.pages[-1].end == len(document.text)


def test_page_footers_never_reach_passage_text(document: Document, passages: list[Passage]) -> None:
    # the two footers the extraction kept are really in the file ...
    assert "\n- 9 -\n" in document.text
    assert "\n- 39 -\n" in document.text
    # ... and in no passage
    for footer in ("- 9 -", "- 39 -"):
        assert [p.id for p in passages if footer in p.text] == []


def test_sentence_broken_by_a_footer_spans_pages_9_and_10(document: Document, passages: list[Passage]) -> None:
    found = holding(passages, "其中电子及通讯设备制造、科技成果转化服务")
    # with 320-character passages the sentence sits inside the last passage of its section,
    # not at a passage boundary, so no overlap repeats it
    assert len(found) == 1
    for p in found:
        assert p.page_start <= 9
        assert p.page_end == 10
        # the footer between 科 and 技 is left out of the spans
        footer = document.text.index("\n- 9 -\n")
        assert all(not (s <= footer + 1 < e) for s, e in p.spans)


def test_sentence_is_whole_inside_a_passage_of_its_section(passages: list[Passage]) -> None:
    sentence = (
        "2022年，中国吸收外资实现稳定增长，首次突破1.2万亿元人民币，按可比口径，同比增长6.3%，"
        "规模再创历史新高。"
    )
    found = holding(passages, sentence)
    assert len(found) == 2
    for p in found:
        assert p.kind == "prose"
        assert p.section_path[-2:] == ("中国数字贸易总体发展情况", "二、全球竞争力不断提升")
        assert sentence in [s.text for s in p.sentences]


# -- tables --------------------------------------------------------------------


def test_table_titles_units_sources(document: Document) -> None:
    got = [(t.number, t.title, t.unit, t.source) for t in document.tables]
    assert got == [
        ("1", "表1 2022年全球主要经济体可数字化服务贸易规模及增速", "（单位：亿美元；%）", "数据来源：WTO数据库"),
        ("2", "表2 2022年12个基地所在省市可数字化交付服务贸易情况", "（单位：亿美元；%）", "数据来源：商务部"),
        ("3", "表3 2020-2022年部分基地可数字化交付服务贸易情况", "（单位：亿美元）",
         "数据来源：基地所在地商务主管部门"),
        ("4", "表4 2020—2022年部分基地数字产业产值", "（单位：亿元）", "数据来源：基地所在地商务主管部门"),
        ("5", "表5 部分数字服务出口基地创新研发投入产出情况", "", "资料来源：各数字服务出口基地"),
    ]


def test_table_headers(document: Document) -> None:
    assert table(document, "1").header == ("序号", "国家", "进出口", "同比", "出口", "同比", "进口", "同比")
    assert table(document, "2").header == ("省市", "进出口额", "增速", "出口额", "增速", "进口额", "增速")
    assert table(document, "3").header == (
        "基地", "2022年进出口额", "2022年出口额", "2021年进出口额", "2021年出口额",
        "2020年进出口额", "2020年出口额",
    )
    assert table(document, "4").header == ("基地", "2022年", "2021年", "2020年")
    assert table(document, "5").header == ("基地", "研发投入", "产出")


def test_table_cells(document: Document) -> None:
    # 10478.31 is broken over two lines (10478.3 / 1) in the file
    assert "10478.3\n\n1 5.86" in document.text
    assert cell(table(document, "1"), "美国", "进出口") == "10478.31"
    assert table(document, "1").rows[0].cells == (
        "1", "美国", "10478.31", "5.86", "6560.54", "4.93", "3917.77", "7.46"
    )
    assert cell(table(document, "2"), "四川", "出口额") == "52.23"
    assert cell(table(document, "3"), "大连高新技术产业园区", "2020年进出口额") == "27.30"
    assert cell(table(document, "4"), "中关村软件园", "2021年") == "4295"


def test_table_rows(document: Document) -> None:
    assert [len(t.rows) for t in document.tables] == [10, 14, 5, 6, 3]
    t1 = table(document, "1")
    assert [r.cells[1] for r in t1.rows] == [
        "美国", "爱尔兰", "英国", "德国", "中国", "荷兰", "印度", "法国", "新加坡", "日本"
    ]
    t2 = table(document, "2")
    assert [r.cells[0] for r in t2.rows] == [
        "北京", "天津", "辽宁", "上海", "江苏", "浙江", "安徽", "福建", "山东", "广东", "海南", "四川",
        "12省市合计", "全国",
    ]
    assert t2.rows[-1].cells == ("全国", "3727.07", "3.38", "2105.37", "7.60", "1621.70", "-1.62")
    # every numeric row has one cell per header column
    for t in document.tables:
        assert {len(r.cells) for r in t.rows} == {len(t.header)}


def test_text_table_5(document: Document) -> None:
    t5 = table(document, "5")
    assert [r.cells[0] for r in t5.rows] == ["中关村软件园", "大连高新区", "杭州高新区（滨江）物联网产业园"]
    assert t5.rows[1].cells == (
        "大连高新区",
        "研发投入占GDP比重为5.9%，高于全市2.88个百分点。",
        "企业发明专利累计达9467件，软件著作权累计超过2.7万件。",
    )
    assert t5.rows[2].cells[0] == "杭州高新区（滨江）物联网产业园"
    assert t5.rows[2].cells[2] == "截至目前，有效发明专利5358件，占基地专利总量的50%以上。"


def test_table_rows_cover_their_cells_in_the_file(document: Document) -> None:
    for t in document.tables:
        for row in t.rows:
            raw = re.sub(r"\s", "", document.text[row.start : row.end])
            assert raw == re.sub(r"\s", "", "".join(row.cells)), (t.number, row.cells)


# -- footnotes -------------------------------------------------------------------


def test_footnotes(document: Document, passages: list[Passage]) -> None:
    notes = document.footnotes
    assert [f.number for f in notes] == [1, 2, 3]
    assert [(f.page_start, f.page_end) for f in notes] == [(4, 4), (14, 14), (34, 34)]
    text = document.text
    # each marker offset points at its digit glued into the prose
    assert [text[f.marker_offset] for f in notes] == ["1", "2", "3"]
    assert text[notes[0].marker_offset - 4 : notes[0].marker_offset + 3] == "数字贸易1成为"
    assert text[notes[1].marker_offset - 3 : notes[1].marker_offset + 2] == "据显示2，"
    assert text[notes[2].marker_offset - 2 : notes[2].marker_offset + 2] == "基地3（"
    assert notes[1].text == "《2021—2022年全球计算力指数评估报告》"
    assert notes[2].text.startswith("12家国家数字服务出口基地分别是中关村产业园、")
    assert [p.kind for p in passages].count("footnote") == 3


def test_footnote_1_is_its_own_passage_and_the_marker_leaves_the_prose(
    document: Document, passages: list[Passage]
) -> None:
    note = document.footnotes[0]
    assert note.text == (
        "数字贸易是指，以数据资源为关键生产要素、数字服务为核心、数字订购与交付为主要特征的对外贸易。"
        "其中，数字交付贸易包含数字技术贸易、数字服务贸易、数字产品贸易和数据贸易；"
        "数字订购贸易是指通过跨境电子商务平台达成的货物和服务贸易。"
    )
    (fn,) = [p for p in passages if p.kind == "footnote" and p.text.startswith("数字贸易是指")]
    assert fn.text == note.text
    assert (fn.start, fn.end) == (note.start, note.end)
    assert holding(passages, "数字贸易1成为") == []
    (prose,) = holding(passages, "数字贸易成为数字经济时代重要贸易形态")
    assert prose.kind == "prose"
    assert prose.text.startswith("数字贸易成为数字经济时代重要贸易形态，对推动经济复苏增长具有重要作用。")
    assert prose.start < note.marker_offset < prose.end
    assert not any(s <= note.marker_offset < e for s, e in prose.spans)
    assert "数字贸易是指" not in prose.text


# -- sections, boxes, captions ---------------------------------------------------


def test_sections(document: Document) -> None:
    sections = document.sections
    assert len(sections) == 69
    assert sections[0].title == "前言"
    assert (sections[0].level, sections[0].path) == (1, ("前言",))
    parts = [s.title for s in sections if s.level == 0]
    assert parts == [PART1, PART2]
    titles = [s.title for s in sections]
    for title in ("全球数字贸易发展情况", "中国数字贸易总体发展情况", "二、全球竞争力不断提升",
                  "（四）开展前瞻性数字贸易探索和研究"):
        assert title in titles
    # every section path ends with its own title and lies inside its parent
    by_path = {s.path: s for s in sections}
    assert len(by_path) == len(sections)
    for s in sections:
        assert s.path[-1] == s.title
        assert s.start < s.end
        if len(s.path) > 1:
            parent = by_path[s.path[:-1]]
            assert parent.start < s.start and s.end <= parent.end, s.title


def test_boxes(document: Document) -> None:
    boxes = [s for s in document.sections if s.is_box]
    assert [b.title.split("：")[0] for b in boxes] == [f"专栏{k}" for k in range(1, 9)]
    (box3,) = [b for b in boxes if b.title.startswith("专栏3")]
    assert box3.title == "专栏3：中关村软件园完善新型基础设施，建设智慧园区"
    assert box3.path == (
        PART2, "一、基地所在省市数字贸易发展成效", "（二）基地数字贸易发展特征",
        "3.数字贸易发展保障体系持续完善", "专栏3：中关村软件园完善新型基础设施，建设智慧园区",
    )
    box_paragraphs = [p for p in document.paragraphs if p.in_box]
    assert {p.section_path[-1] for p in box_paragraphs} == {b.title for b in boxes}


def test_figure_captions_and_sources(document: Document) -> None:
    got = [(c.number, c.text, c.source) for c in document.captions]
    assert got == [
        ("1", "图1 2012—2022年全球可数字化服务出口规模及增速", "数据来源：WTO数据库"),
        ("2", "图2 2012-2022年中国可数字化交付服务出口情况", "数据来源：WTO数据库"),
        ("3", "图3 2022年东部地区可数字化交付服务贸易情况", "数据来源：商务部"),
        ("4", "图4 2022年中部、西部和东北地区可数字化交付服务贸易情况", "数据来源：商务部"),
        ("5", "图5 中国自主研发游戏国内外市场情况", "数据来源：中国音数协游戏工委"),
        ("6", "图6 2012—2022年中国电信、计算机和信息服务出口情况", "数据来源：WTO"),
    ]
    assert [c.page_start for c in document.captions] == [5, 8, 10, 11, 16, 17]


# -- display text ------------------------------------------------------------------


def test_display_text_closes_pdf_spaces_around_numbers(document: Document, passages: list[Passage]) -> None:
    raw = "2022 年，中国可数字化交付的服务进出口额为 3727.1\n\n亿美元"
    assert raw in document.text
    (p,) = holding(passages, "2022年，中国可数字化交付的服务进出口额为3727.1亿美元，同比增长3.4%")
    assert "其中，出口2105.4亿美元，同比增长7.6%；进口1621.7亿美元" in p.text
    assert "2017 年至 2022 年的复合增长率" in document.text
    assert len(holding(passages, "2017年至2022年的复合增长率达48.8%。")) == 1
    # no prose keeps a space between a number and a Chinese character
    pdf_space = re.compile(r"\d [\u4e00-\u9fff%]|[\u4e00-\u9fff] \d")
    assert [p.text for p in passages if p.kind in ("prose", "box") and pdf_space.search(p.text)] == []


def test_display_text_keeps_a_space_between_ideographs(document: Document, passages: list[Passage]) -> None:
    found = holding(passages, "《中共中央 国务院关于加快建设全国统一大市场的意见》")
    # the sentence ends one passage and is repeated as the overlap of the next
    assert len(found) == 2
    assert found[0].sentences[-1] == found[1].sentences[0]
    assert [p.page_start for p in found] == [20, 20]
    assert holding(passages, "《中共中央国务院关于") == []


# -- corpus errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("empty.txt", b"", "corpus file is empty"),
        ("blank.txt", b" \n\n\t\n", "corpus file is empty"),
        ("gbk.txt", b"abc" + "数字贸易".encode("gbk"), "corpus file is not valid UTF-8 (byte 3)"),
        ("utf16.txt", b"\xff\xfeabc", "corpus file is not valid UTF-8 (byte 0)"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "corpus file is binary, expected UTF-8 text"),
        ("nul.txt", b"\xff\xfe\x00abc", "corpus file is binary, expected UTF-8 text"),
    ],
)
def test_reader_rejects_bad_files(tmp_path: Path, name: str, data: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError) as info:
        CorpusReader().read_file(path)
    assert str(info.value) == f"{path}: {problem}"


def test_reader_rejects_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(CorpusError) as info:
        CorpusReader().read_file(path)
    assert str(info.value) == f"{path}: corpus file not found"


def test_reader_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        CorpusReader().read(tmp_path / "nowhere")
    with pytest.raises(CorpusError) as info:
        CorpusReader().read(tmp_path)
    assert str(info.value) == f"{tmp_path}: no *.txt or *.pdf corpus files in folder"
    good = tmp_path / "a.txt"
    good.write_text("数字贸易。", encoding="utf-8")
    bad = tmp_path / "b.txt"
    bad.write_bytes("数字贸易".encode("gbk"))
    with pytest.raises(CorpusError) as info:
        CorpusReader().read(tmp_path)
    assert str(info.value).startswith(f"{bad}: corpus file is not valid UTF-8")
    bad.unlink()
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7\n")
    with pytest.raises(CorpusError) as info:
        CorpusReader().read(tmp_path)
    assert str(info.value) == f"{tmp_path}: two files for report 'a': keep one"
    (tmp_path / "a.txt").unlink()
    (tmp_path / "b.pdf").write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(CorpusError) as info:
        CorpusReader().read(tmp_path)
    assert str(info.value) == f"{tmp_path / 'b.pdf'}: not a PDF (no %PDF- header)"


def test_reader_identity(corpus_path: Path, document: Document) -> None:
    source = CorpusReader().read_file(corpus_path)
    assert source.doc_id == "china-digital-trade-report-2022"
    assert source.path == str(corpus_path)
    assert len(source.sha256) == 64
    assert document.doc_id == source.doc_id and document.text == source.text


def test_cli_reports_a_bad_corpus_file_in_one_line(tmp_path: Path, run_cli) -> None:
    bad = tmp_path / "report.txt"
    bad.write_bytes(b"abc" + "数字贸易".encode("gbk"))
    result = run_cli("--corpus-dir", str(tmp_path), "chunks", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"reportqa: error: {bad}: corpus file is not valid UTF-8 (byte 3)"]
    assert "Traceback" not in result.stderr
