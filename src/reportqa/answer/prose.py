"""Comparisons concluded from the figures that an answer's sentences state.

A table comparison is computed from cells (:mod:`reportqa.answer.tables`);
a comparison answered from prose (跨境电商出口增速和进出口增速哪个快) is
composed of one sentence per side. :class:`ProseComparer` reads the figure
each side's sentence gives for what is compared (a rate after a growth
word for 增速/涨幅, else the first amount after the side's name, the end
point of a 由…提升至… change) and states which is higher. The conclusion is
computed from those cited figures only; when a side's figure cannot be read,
or the two are in different units, it says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reportqa.answer.question import RATE_WORDS, SHARE, SIDE_MIN_IDF, Question
from reportqa.answer.reader import share_found
from reportqa.segment.tokenizer import normalize

# a rate of change: a growth word, a few characters, a signed figure in % or points
RATE_FIGURE = re.compile(
    r"(增长|增速|增幅|同比|提升|上升|提高|下降|降低|减少|回落|下滑)[^，。；\d]{0,8}?(-?\d+(?:\.\d+)?)\s*(%|个百分点)")
FALLING_WORDS = ("下降", "降低", "减少", "回落", "下滑")
# an amount: a figure (not a year, month or day), its magnitude, the first character of its unit
AMOUNT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万亿|亿|万|千|百)?\s*(美元|欧元|日元|英镑|元|[%\u4e00-\u9fff])")
# a change from one figure to another: the figure it ends at is the current one
CHANGE_TO = re.compile(r"(?:由|从)[^，。；]{0,20}?\d[^，。；]{0,12}?(?:提升|上升|增长|增加|扩大|下降|降低|减少|缩减)?(?:至|到)")
MAGNITUDES = {None: 1.0, "百": 1e2, "千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}
NOT_UNITS = frozenset("年月日第")
# a clause with its closing mark; an ASCII comma between words ends one too (2022年, 中国…), not one in 1,000
CLAUSE = re.compile(r"(?:[^，；。,]|,(?=\d))+[，；。,]?")
SHARE_FIGURE = re.compile(r"(?:占比|比重|份额|比例|占)[^，。；\d]{0,8}?(\d+(?:\.\d+)?)\s*%")
ITEM_JOINER = re.compile(r"[、和及与]")
LAST_JOINER = re.compile(r"[和及与](?!.*[和及与])")  # the last joiner of a list's last piece
READ_ON = 2  # clauses after a side's own clause that its figure is looked for in
# the comparative the question asks in (哪个更快, 谁多, 哪个条目少), which the conclusion repeats
COMPARATIVE = re.compile(r"(?:更|谁|哪个|哪边|[比较])[^，。,?？]{0,6}?(高|多|大|快|低|少|小|慢)")
LOWER = frozenset("少小低慢")
SUPERLATIVE = re.compile(r"最(高|多|大|快|低|少|小|慢)")  # the superlative the question asks in (哪块规模最大)
MAX_ITEM_NAME = 12


@dataclass(frozen=True)
class Figure:
    """A side's figure as the text writes it, its value and its unit's first character."""

    text: str
    value: float
    unit: str


Reader = Callable[[str], "Figure | None"]


def rate_figure(text: str) -> Figure | None:
    """The first rate of change ``text`` states (``同比增长11.7%``); a fall
    (``同比下降1.08%``) is negative and written ``下降1.08%``."""
    m = RATE_FIGURE.search(normalize(text))
    if m is None:
        return None
    falling = next((w for w in FALLING_WORDS if w in m.group(0)), None)
    value = float(m.group(2))
    if falling and value > 0:
        return Figure(f"{falling}{m.group(2)}{m.group(3)}", -value, m.group(3))
    return Figure(f"{m.group(2)}{m.group(3)}", value, m.group(3))


def share_figure(text: str) -> Figure | None:
    """The share ``text`` states: the per cent after 占比/比重/份额 (``全球占比达14.4%``)."""
    m = SHARE_FIGURE.search(normalize(text))
    return None if m is None else Figure(f"{m.group(1)}%", float(m.group(1)), "%")


def amount_figure(text: str) -> Figure | None:
    """The amount ``text`` states: after a 由…至 change its end point, else its
    first figure with a unit (``1.55万亿元``, ``31条``, ``86.34%``)."""
    norm = normalize(text)
    change = CHANGE_TO.search(norm)
    start = change.end() if change else 0
    for m in AMOUNT.finditer(norm, start):
        if m.group(3)[0] in NOT_UNITS or (m.start() and norm[m.start() - 1] == "第"):
            continue
        magnitude = m.group(2)
        value = float(m.group(1)) * MAGNITUDES[magnitude]
        return Figure(f"{m.group(1)}{magnitude or ''}{m.group(3)}", value, m.group(3))
    return None


def key_term(question: Question, i: int) -> str:
    """The term that sets side ``i`` apart: a rare name it holds (RCEP, not
    中国), else the term next to the joiner (the last of the first side, the
    first of the second: 外资负面清单**全国**版和**自贸区**版), since the terms
    further out are what both sides share."""
    side = question.sides[i]
    named = [t for t in side if t in question.names and question.terms.get(t, 0.0) >= SIDE_MIN_IDF] or list(side)
    return named[-1] if i == 0 else named[0]


def written(question: Question, term: str) -> str:
    """A term as the question writes it (``RCEP``, not its normalised ``rcep``)."""
    m = re.search(re.escape(term), question.text, re.IGNORECASE)
    return m.group(0) if m else term


def states(key: str, other: str, clause: str) -> bool:
    """Whether a clause states a side by its key term, once the other side's
    key term is taken out of it (出口额 is not stated by 进出口额): two
    thirds of the key term in one piece."""
    norm = normalize(clause).replace(other, " ") if other not in key else normalize(clause)
    return share_found((key,), norm) == 1


def respectively(question: Question, clause: str, read: Reader) -> dict[int, Figure]:
    """The sides' figures in a ``A、B和C分别…a、b和c`` clause: the items named
    before 分别 take the figures after it in order (only when the counts agree)."""
    norm = normalize(clause)
    at = norm.find("分别")
    items = [i for i in ITEM_JOINER.split(norm[:at]) if i.strip()]
    figures: list[Figure] = []
    for piece in ITEM_JOINER.split(norm[at + 2 :]):
        figure = read(piece)
        if figure is not None:
            figures.append(figure)
    if len(items) < 2 or len(items) != len(figures):
        return {}
    out = {}
    for i in (0, 1):
        key, other = key_term(question, i), key_term(question, 1 - i)
        named = [k for k, item in enumerate(items) if states(key, other, item)]
        if len(named) == 1:
            out[i] = figures[named[0]]
    return out


def side_figures(question: Question, texts: list[str], read: Reader) -> list[Figure] | None:
    """Each side's figure: from the first clause of ``texts`` that states the
    side and the clauses after it up to one stating the other side (the
    figure often follows: 出口额达1.55万亿元，同比增长11.7%), or from a 分别
    clause naming it; ``None`` when a side has none, or both would be read
    from one clause that is no 分别 list."""
    clauses = [c for text in texts for c in CLAUSE.findall(text)]
    figures: list[Figure | None] = [None, None]
    where: list[int] = [-1, -1]
    for k, clause in enumerate(clauses):
        if "分别" in clause:
            for i, figure in respectively(question, clause, read).items():
                if figures[i] is None:
                    figures[i], where[i] = figure, -2 - k
            continue
        for i in (0, 1):
            key, other = key_term(question, i), key_term(question, 1 - i)
            if figures[i] is not None or not states(key, other, clause):
                continue
            read_on = clause
            for after in clauses[k + 1 : k + 1 + READ_ON]:
                if "分别" in after or states(other, key, after):
                    break
                read_on += after
            figures[i], where[i] = read(read_on), k
    if figures[0] is None or figures[1] is None or where[0] == where[1] >= 0:
        return None
    return [figures[0], figures[1]]


def item_name(item: str, question: Question, first: bool = False) -> str:
    """A listed item's name: its longest start (two characters or more) that the
    question states: ``中部`` of ``中部地区`` in 中部 西部 东北哪块最大; empty when none.
    A list's ``first`` item may carry the sentence's setting before its name
    (中国金融服务): its longest stated end is its name when that is longer."""
    sizes = range(min(len(item), MAX_ITEM_NAME), 1, -1)
    start = next((item[:n] for n in sizes if item[:n] in question.norm), "")
    end = next((item[-n:] for n in sizes if item[-n:] in question.norm), "") if first else ""
    return end if len(end) > len(start) else start


def list_items(head: str, count: int) -> list[str]:
    """The items of a list's head, as many as it has figures (``count``) when a
    reading gives that many: split at every joiner (、和及与); else at 、 only,
    the last piece at its last 和/及/与 (金融服务、保险与养老服务和知识产权使用费服务),
    else at 、 alone (保险与养老服务 one item); the first reading when none fits."""
    def pieces(parts: list[str]) -> list[str]:
        return [p.strip() for p in parts if p.strip()]

    readings = [pieces(ITEM_JOINER.split(head))]
    commas = pieces(head.split("、"))
    *rest, last = commas or [""]
    tail = LAST_JOINER.split(last, maxsplit=1)
    readings += [pieces([*rest, *tail]), commas]
    return next((r for r in readings if len(r) == count), readings[0])


def listed_figures(question: Question, texts: list[str]) -> list[list[tuple[str, Figure]]]:
    """The ``A、B和C…分别为a、b和c`` lists of ``texts``, each as the items the
    question names (two or more) with their figures, in one unit; a 分别
    clause with no items of its own (``占全国的比重分别为…``) lists the
    previous clause's items. For a question asking a rate, a list its clause
    calls shares (比重, 占比) is left out, and for one asking a share, a list of rates."""
    out = []
    items: list[str] = []
    for clause in (c for text in texts for c in CLAUSE.findall(text)):
        norm = normalize(clause)
        at = norm.find("分别")
        if at < 0:
            continue
        figures = [f for piece in ITEM_JOINER.split(norm[at + 2 :]) if (f := amount_figure(piece)) is not None]
        own = list_items(norm[:at], len(figures))
        items = own if len(own) >= 2 else items
        # what the figures are (占全国的比重分别为, 增速分别为): a share answers no rate asked, nor a rate a share
        if question.rate != question.share and (SHARE if question.rate else RATE_WORDS).search(norm[max(0, at - 6) : at]):
            continue
        if len(items) < 2 or len(figures) != len(items) or len({f.unit for f in figures}) != 1:
            continue
        named = [(name, f) for k, (item, f) in enumerate(zip(items, figures, strict=True))
                 if (name := item_name(item, question, first=k == 0))]
        if len(named) >= 2 and len({n for n, _ in named}) == len(named):
            out.append(named)
    return out


class ProseComparer:
    """States which side of a comparison is higher, or which listed item is
    highest, from the figures its sentences give."""

    def listed(self, question: Question, texts: list[str]) -> str | None:
        """Which of the items a 分别 list of ``texts`` gives figures for, among
        those the question names, is highest (or lowest), in the question's
        own superlative (``西部（151.38亿美元）最大，其次为东北（93.3亿美元）、
        中部（85.9亿美元）。``) or, for a comparison of two, its comparative
        (``东北（93.3亿美元）大于中部（85.9亿美元）。``). A question about shares
        or rates reads a list in per cent, any other a list of amounts;
        ``None`` when no list fits or the first two are equal."""
        if question.falling or question.top_n > 1:
            return None
        in_percent = question.share or question.rate
        named = next((n for n in listed_figures(question, texts) if (n[0][1].unit == "%") == in_percent), None)
        superlative = question.asks_for("extreme")
        if named is None or (not superlative and len(named) != 2):
            return None
        m = (SUPERLATIVE if superlative else COMPARATIVE).search(question.norm)
        word = m.group(1) if m else "低" if question.direction == "low" else "高"
        low = word in LOWER
        ordered = sorted(named, key=lambda x: x[1].value, reverse=not low)
        if ordered[0][1].value == ordered[1][1].value:
            return None
        if not superlative:
            (a, fa), (b, fb) = ordered
            return f"{a}（{fa.text}）{word}于{b}（{fb.text}）。"
        (best, fig), rest = ordered[0], ordered[1:]
        return f"{best}（{fig.text}）最{word}，其次为" + "、".join(f"{n}（{f.text}）" for n, f in rest) + "。"

    def conclude(self, question: Question, texts: list[str]) -> str | None:
        """The conclusion of a two-sided comparison answered by ``texts`` (the
        answer's sentences), in the question's own comparative (``高于``,
        ``少于``, ``快于``), or of the items of a 分别 list the question names (:meth:`listed`);
        ``None`` when a side or its figure is missing or the two figures are
        in different units."""
        if question.asks_for("extreme"):
            return self.listed(question, texts)
        if not question.asks_for("comparison"):
            return None
        read = share_figure if question.share else rate_figure if question.rate else amount_figure
        found = side_figures(question, texts, read) if len(question.sides) == 2 else None
        if found is None:
            return self.listed(question, texts)
        if found[0].unit != found[1].unit:
            return None
        (a, fa), (b, fb) = ((written(question, key_term(question, i)), found[i]) for i in (0, 1))
        if fa.value == fb.value:
            return f"{a}（{fa.text}）与{b}（{fb.text}）相同。"
        m = COMPARATIVE.search(question.norm)
        word = m.group(1) if m else "低" if question.direction == "low" else "高"
        lower = word in LOWER
        (hi, fhi), (lo, flo) = sorted(((a, fa), (b, fb)), key=lambda x: -x[1].value)
        if lower:
            return f"{lo}（{flo.text}）{word}于{hi}（{fhi.text}）。"
        return f"{hi}（{fhi.text}）{word}于{lo}（{flo.text}）。"
