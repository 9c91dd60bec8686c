"""Chunking: sentence-aware, section-aware passages located in the corpus file."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from reportqa.chunking import Chunker, ChunkingConfig, Passage, split_sentences
from reportqa.ingest import Document, ReportParser
from reportqa.ingest.reader import CorpusReader

PROSE = ("prose", "box")
TARGET = 320  # the default ChunkingConfig().target_chars
OVERLAPS = 61  # pairs of neighbouring prose passages sharing their boundary sentence


def no_space(text: str) -> str:
    return re.sub(r"\s", "", text)


def pieces(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# -- split_sentences -------------------------------------------------------------


def test_split_on_stops() -> None:
    assert pieces("甲乙。丙丁！戊己？庚") == ["甲乙。", "丙丁！", "戊己？", "庚"]


def test_split_on_semicolon() -> None:
    assert pieces("出口增长7.6%；进口下降1.6%。") == ["出口增长7.6%；", "进口下降1.6%。"]


def test_no_split_inside_quotations_or_titles() -> None:
    assert pieces("他说：“今天下雨。明天晴。”我们走吧。后来。") == [
        "他说：“今天下雨。明天晴。”我们走吧。", "后来。"
    ]
    assert pieces("印发《关于A。B的意见》。随后实施。") == ["印发《关于A。B的意见》。", "随后实施。"]
    assert pieces("（见表1。）接着。再见。") == ["（见表1。）接着。", "再见。"]


def test_closing_quote_stays_with_its_sentence() -> None:
    # a quotation opened in an earlier paragraph closes after the stop
    assert pieces("打造数字贸易新高地。”下一步。") == ["打造数字贸易新高地。”", "下一步。"]
    assert split_sentences("打造数字贸易新高地。”下一步。") == [(0, 11), (11, 15)]


def test_numbers_are_never_split_and_spaces_are_trimmed() -> None:
    assert pieces("增长3.4%。 规模1.2万亿元。") == ["增长3.4%。", "规模1.2万亿元。"]
    assert split_sentences(" 甲。\n乙。") == [(1, 3), (4, 6)]
    assert split_sentences("") == []
    assert split_sentences("   ") == []


# -- ChunkingConfig --------------------------------------------------------------


def test_config_rejects_tiny_targets() -> None:
    with pytest.raises(ValueError, match="chunk target_chars must be at least 20"):
        ChunkingConfig(target_chars=19)
    assert ChunkingConfig(target_chars=20).target_chars == 20
    with pytest.raises(ValueError, match="overlap_sentences"):
        ChunkingConfig(overlap_sentences=-1)


# -- passages of the real report ---------------------------------------------------


def test_counts_by_kind(passages: list[Passage]) -> None:
    assert Counter(p.kind for p in passages) == Counter(
        {"prose": 109, "box": 16, "table": 5, "table_row": 38, "caption": 6, "footnote": 3}
    )


def test_prose_passages_end_at_a_sentence_end(passages: list[Passage]) -> None:
    ends = Counter(p.text[-1] for p in passages if p.kind in PROSE)
    assert ends == Counter({"。": 123, "；": 2})
    # and so does every sentence of them
    for p in passages:
        if p.kind in PROSE:
            for s in p.sentences:
                assert s.text.endswith(("。", "！", "？", "；", "”")), s.text


def test_prose_passages_respect_the_size_target(passages: list[Passage]) -> None:
    assert ChunkingConfig().target_chars == TARGET
    for p in passages:
        if p.kind in PROSE and len(p.sentences) > 1:
            assert sum(len(s.text) for s in p.sentences) <= TARGET


def test_prose_spans_rebuild_the_text(document: Document, passages: list[Passage]) -> None:
    text = document.text
    for p in passages:
        if p.kind in PROSE:
            assert no_space("".join(text[s:e] for s, e in p.spans)) == no_space(p.text), p.id
            assert p.start == p.spans[0][0]
            assert p.end == p.spans[-1][1]
            assert all(a[1] < b[0] for a, b in zip(p.spans, p.spans[1:], strict=False))
            for s in p.sentences:
                # a sentence starts and ends on its own first and last characters
                assert (text[s.start], text[s.end - 1]) == (s.text[0], s.text[-1])
                assert any(a <= s.start < b for a, b in p.spans)
                assert any(a < s.end <= b for a, b in p.spans)
            assert document.page_of(p.start) == p.page_start
            assert document.page_of(p.end - 1) == p.page_end


def test_every_passage_is_located(document: Document, passages: list[Passage]) -> None:
    text = document.text
    for p in passages:
        assert 0 <= p.start < p.end <= len(text)
        if p.kind in PROSE:
            assert (text[p.start], text[p.end - 1]) == (p.text[0], p.text[-1]), p.id
    notes = [p for p in passages if p.kind == "footnote"]
    for p, note in zip(notes, document.footnotes, strict=True):
        # the footnote's number is printed before its text
        assert no_space(text[p.start : p.end]) == f"{note.number}{no_space(p.text)}"
    captions = [p for p in passages if p.kind == "caption"]
    for p, caption in zip(captions, document.captions, strict=True):
        # the source line is printed above the figure title
        assert no_space(text[p.start : p.end]) == no_space(caption.source + caption.text)
    tables = [p for p in passages if p.kind == "table"]
    for p, t in zip(tables, document.tables, strict=True):
        raw = no_space(text[p.start : p.end])
        assert raw.startswith(no_space(t.title)) and raw.endswith(no_space(t.source)), p.id


def test_table_row_passages_cover_their_row(document: Document, passages: list[Passage]) -> None:
    rows = [p for p in passages if p.kind == "table_row"]
    by_label = {p.text.split("）")[-1].split("：")[0]: p for p in rows if p.text.startswith("表2 ")}
    sichuan = by_label["四川"]
    assert document.text[sichuan.start : sichuan.end] == "四川 68.83 8.82 52.23 8.12 16.60 11.06"
    assert (sichuan.page_start, sichuan.page_end) == (35, 35)
    cells = [row for t in document.tables for row in t.rows]
    assert [(p.start, p.end) for p in rows] == [(r.start, r.end) for r in cells]


def test_table_row_text_is_self_contained(passages: list[Passage]) -> None:
    (jiangsu,) = [p for p in passages if p.kind == "table_row" and "江苏：" in p.text]
    assert jiangsu.text == (
        "表2 2022年12个基地所在省市可数字化交付服务贸易情况（单位：亿美元；%）"
        "江苏：进出口额307.53，增速12.11%；出口额179.61，增速22.84%；进口额127.91，增速-0.14%"
    )
    (dalian,) = [p for p in passages if p.kind == "table_row" and "大连高新区：" in p.text]
    assert dalian.text == (
        "表5 部分数字服务出口基地创新研发投入产出情况大连高新区："
        "研发投入：研发投入占GDP比重为5.9%，高于全市2.88个百分点。；"
        "产出：企业发明专利累计达9467件，软件著作权累计超过2.7万件。"
    )


def test_table_passage_renders_the_whole_table(passages: list[Passage]) -> None:
    tables = [p for p in passages if p.kind == "table"]
    (t4,) = [p for p in tables if p.text.startswith("表4 ")]
    assert t4.text == "\n".join([
        "表4 2020—2022年部分基地数字产业产值（单位：亿元）",
        "基地 | 2022年 | 2021年 | 2020年",
        "中关村软件园 | 4759 | 4295 | 3366",
        "中国（南京）软件谷 | 2600 | 2500 | 2170",
        "杭州高新技术产业开发区（滨江）物联网产业园 | 1627 | 1617 | 1380",
        "齐鲁软件园 | 1560 | 1350 | 1130",
        "成都天府软件园 | 1554 | 1312 | 1020",
        "合肥高新区 | 998 | 730 | 656",
        "数据来源：基地所在地商务主管部门",
    ])


def test_caption_passage(passages: list[Passage]) -> None:
    captions = [p.text for p in passages if p.kind == "caption"]
    assert captions[4] == "图5 中国自主研发游戏国内外市场情况（数据来源：中国音数协游戏工委）"


def test_no_passage_crosses_a_section_boundary(document: Document, passages: list[Passage]) -> None:
    path_at: dict[int, tuple[str, ...]] = {}
    for paragraph in document.paragraphs:
        for offset in paragraph.offsets:
            path_at[offset] = paragraph.section_path
    heading_starts = [s.start for s in document.sections]
    for p in passages:
        if p.kind not in PROSE:
            continue
        offsets = [o for s in p.sentences for o in range(s.start, s.end) if o in path_at]
        assert {path_at[o] for o in offsets} == {p.section_path}, p.id
        assert not [h for h in heading_starts if p.start < h < p.end], p.id
        (section,) = [s for s in document.sections if s.path == p.section_path]
        assert section.start < p.start and p.end <= section.end
        assert (p.kind == "box") == section.is_box


def test_overlap_repeats_at_most_one_sentence(passages: list[Passage]) -> None:
    prose = [p for p in passages if p.kind in PROSE]
    repeated = 0
    for a, b in zip(prose, prose[1:], strict=False):
        shared = set(a.sentences) & set(b.sentences)
        if shared:
            assert shared == {a.sentences[-1]} == {b.sentences[0]}
            repeated += 1
        else:
            assert b.start >= a.end
    assert repeated == OVERLAPS


def test_passage_ids_are_unique_and_stable(corpus_path, passages: list[Passage]) -> None:
    ids = [p.id for p in passages]
    assert len(set(ids)) == len(ids) == 177
    again = Chunker().chunk(ReportParser().parse(CorpusReader().read_file(corpus_path)))
    assert [p.id for p in again] == ids
    assert again == passages
    assert all(re.fullmatch(r"p-[0-9a-f]{12}", i) for i in ids)


def test_passages_are_in_reading_order(passages: list[Passage]) -> None:
    keys = [(p.start, p.kind != "table", p.end) for p in passages]
    assert keys == sorted(keys)


def test_smaller_target_gives_more_passages(document: Document) -> None:
    small = Chunker(ChunkingConfig(target_chars=120, overlap_sentences=0)).chunk(document)
    prose = [p for p in small if p.kind in PROSE]
    assert len(prose) > 179
    for p in prose:
        if len(p.sentences) > 1:
            assert sum(len(s.text) for s in p.sentences) <= 120
    # without overlap each sentence appears once
    starts = [s.start for p in prose for s in p.sentences]
    assert len(starts) == len(set(starts))


def test_cli_chunks_json(run_cli, passages: list[Passage], corpus_path) -> None:
    result = run_cli("--corpus-dir", str(corpus_path.parent), "chunks", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    keys = {"id", "doc_id", "kind", "text", "section_path", "page_start", "page_end", "start", "end"}
    assert all(set(item) == keys for item in data)
    assert [item["id"] for item in data] == [p.id for p in passages]
    first = data[0]
    p = passages[0]
    assert first == {
        "id": p.id, "doc_id": "china-digital-trade-report-2022", "kind": p.kind, "text": p.text,
        "section_path": list(p.section_path), "page_start": p.page_start, "page_end": p.page_end,
        "start": p.start, "end": p.end,
    }
