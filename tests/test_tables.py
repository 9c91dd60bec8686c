"""The table reader of text extractions (ingest/tables.py), on table bodies given as lines."""

from __future__ import annotations

from reportqa.ingest.lines import Line
from reportqa.ingest.tables import TableReader


def lines(*texts: str, blank_before: tuple[int, ...] = ()) -> list[Line]:
    """Lines laid end to end as in a file (one newline between them)."""
    out, at = [], 0
    for k, text in enumerate(texts):
        out.append(Line(text, at, 1, k in blank_before, k == 0))
        at += len(text) + 1
    return out


def test_a_numeric_table_has_the_most_common_count_of_trailing_numbers_as_its_width() -> None:
    body = lines("地区 出口 进口", "广东 10.5 3.2", "北京 8.1 2.9")
    header, rows = TableReader().read(body)
    assert header == ("地区", "出口", "进口")
    assert [r.cells for r in rows] == [("广东", "10.5", "3.2"), ("北京", "8.1", "2.9")]
    assert [(r.start, r.end) for r in rows] == [(9, 20), (21, 31)]


def test_a_number_broken_across_a_line_break_is_rejoined() -> None:
    body = lines("国家 2021年 2020年", "中国 3727.1 2939.9", "美国 10478.3", "1 9650.1")
    header, rows = TableReader().read(body)
    assert header == ("国家", "2021年", "2020年")
    assert [r.cells for r in rows] == [("中国", "3727.1", "2939.9"), ("美国", "10478.31", "9650.1")]


def test_a_row_label_may_run_over_lines() -> None:
    header, rows = TableReader().read(lines("类别 出口 进口", "信息技术", "服务 52.2 30.1", "金融 8.5 6.0"))
    assert [r.cells for r in rows] == [("信息技术服务", "52.2", "30.1"), ("金融", "8.5", "6.0")]


def test_a_grouped_header_spreads_over_its_leaf_cells() -> None:
    header, rows = TableReader().read(lines("省份", "2022年 2021年", "出口 进口 出口 进口", "四川 1 2 3 4"))
    assert header == ("省份", "2022年出口", "2022年进口", "2021年出口", "2021年进口")
    assert [r.cells for r in rows] == [("四川", "1", "2", "3", "4")]


def test_a_table_without_numbers_is_read_by_groups_of_lines() -> None:
    body = lines("基地 做法", "中关村", "建设数字平台，", "服务企业。", "合肥", "培育人才。",
                 blank_before=(1, 4))
    header, rows = TableReader().read(body)
    assert header == ("基地", "做法")
    assert [r.cells for r in rows] == [("中关村", "建设数字平台，服务企业。"), ("合肥", "培育人才。")]
