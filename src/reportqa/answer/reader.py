"""The reader: generic features of candidate answers, weighed by fitted models.

A candidate is a sentence of a retrieved passage, a table row, or a
statement computed from a table. Its features say how well it fits the
:class:`~reportqa.answer.question.Question`: similarity from the index
vectors, idf-weighted coverage of the key terms, whether it states the
names, years and numbers the question states, whether it holds the kind of
answer asked for (counting what a how-many question counts, stating beside
a figure what a how-much question measures), and the passage's retrieval
rank. Two logistic
regressions weigh them; both are fitted by ``eval/fit_reader.py`` on the
training question sets and stored in ``reader.json`` beside this module:

- the candidate model: the probability that a candidate holds the answer;
- the abstention model: the probability that the question is answered by
  the best candidates, from the best candidate's features and the answer's.

No weight, penalty or threshold here is typed in by hand.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from reportqa.answer.question import (
    COUNTERS,
    MEASURE_LEN,
    NUMBER,
    TRADE_SIDES,
    YEAR_END,
    MeasureWords,
    Question,
    ordinals,
    ranks,
    scopes,
)
from reportqa.errors import ReportqaError
from reportqa.segment.tokenizer import normalize

OWN_FEATURES = (
    "sim", "passage_sim", "rank", "coverage", "context_coverage", "names", "context_names",
    "years", "context_years", "numbers", "typed", "side", "subject", "row", "computed", "row_named", "length",
    "counted", "measured",
)
# how far a candidate is behind the best candidate of the same question: the
# pool's own scale, which an absolute similarity or coverage does not carry
GAP_FEATURES = ("sim", "coverage", "names", "typed")
CANDIDATE_FEATURES = (*OWN_FEATURES, *(f"{f}_gap" for f in GAP_FEATURES))
# what the abstention model reads: the best candidate's score, margin and own
# features, then features of the composed answer as a whole
ANSWER_FEATURES = (
    "best", "margin", *(f"top_{f}" for f in CANDIDATE_FEATURES), "coverage", "names", "lead_up_names", "asked_names",
    "years", "numbers", "typed", "side", "missing_weight", "max_missing", "absent", "month", "ordinal",
    "partner", "wording", "phrasing", "rank", "scope", "several", "things", "talk",
)
# how a text sets a counterpart against its subject (对美国的出口, 与“一带一路”共建国家的交易额)
PARTNER_IN_TEXT = r'(?:对|向|与|同|往|到|自|从|面向|销往)\s*[“"]?'
MAX_PARTIAL = 12  # longer terms (junk runs of letters) are matched exactly only
MAX_SPREAD = 6  # the longest term looked for spread out as a long form (two-character ones match too loosely)
MAX_GAP = 3  # characters a long form puts between two of the short form's

DATE_IN_TEXT = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月")
DAY_IN_TEXT = re.compile(r"\d{1,2}\s*日")
QUANTITY = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)\d+(?:\.\d+)?(?![\d.])(?!\s*[月日])")
CURRENCY = re.compile(r"美元|元|人民币|欧元|英镑|日元")
# a rate of change: a growth word before the figure (a share, 占比91.1%, is none)
RATE_IN_TEXT = re.compile(r"(?:增长|增速|增幅|同比|提升|上升|下降|降低|减少|回落|涨|跌)[^，。；]{0,8}?-?\d+(?:\.\d+)?\s*(?:%|倍|个百分点)")
# a change stated, for a question asking whether something rose or fell: a rate, or a word of direction
CHANGED = re.compile(rf"{RATE_IN_TEXT.pattern}|同比|增长|增加|上升|提升|提高|下降|下滑|降低|减少|回落|萎缩|[增降升]至")
# an amount: a figure that is no year (2022年, 2012—2022), percentage, multiple or point
# change (6.1% answers no 多大规模)
AMOUNT = re.compile(r"(?<![\d.\-—–~])(?!(?:19|20)\d{2}\s*[年\-—–~至到])\d+(?:\.\d+)?(?![\d.])(?!\s*(?:[月日%倍]|个百分点))")
MONTH_IN_TEXT = re.compile(r"(\d{1,2})\s*月")
LISTED = re.compile(r"、|；|;|一是|》《|”“|分别")  # items set off, or paired with figures (分别为); 和/及/与 join words of any sentence
# a definition, or a thing described and named: 由…构成的“一中心三平台”, …为圈的“双核三圈”, “…”的特色发展路径
DEFINED = re.compile(r"是指|即|包括|包含|指的是|简称|全称|是.{0,8}的|定义|\S{2}\(\S{2,}\)"  # 全称（简称）
                     r"|的[“《]|[”》]的|由[^，。；]{2,40}?(?:构成|组成)")
RANKED = re.compile(r"第[一二三四五六七八九十\d]+|首位|位居|排名|居.{0,4}[首第]|仅次于|领先|最[高低大小多少快慢]")
COMPARED = re.compile(r"高于|低于|超过|高出|仅次于|领先|较|比|\d.*\d")
# a figure that is no date (2022年, 2012—2022年, 9月1日): where a statistic is stated
FIGURE = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*[年\-—–~至到])(?!\d{1,2}\s*[月日])\d")
# a count in text, with what may stand between it and its counter (800余家, 1.2万人): no year
COUNT = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)(?:\d+(?:\.\d+)?|[二两三四五六七八九十百千]+)(?![\d.])\s*[余多]?\s*[万亿]?\s*")
COUNT_REACH = 6  # characters before a count where the counted noun is looked for
COUNT_AFTER = 16  # at most this many after it, up to the clause's end or a joiner (34条陆缆和多条海缆)
COUNTED_STOP = re.compile(r"[,;:。，；：、和与及]")
MEASURE_REACH = 12  # characters before a figure where what a question measures is looked for
CLAUSE_END = re.compile(r"[,;:。，；：]")
# a sentence that goes on with the one before it: 其中 (of which), 其 (its), not 其他 or 其实
CONTINUES = re.compile(r"其(?![他它实])")


def goes_on(text: str) -> bool:
    """Whether a sentence goes on with the one before it (:data:`CONTINUES`)."""
    return CONTINUES.match(normalize(text)) is not None
# what a statistic's subject is tagged as: nouns, places, organisations, directions (东部), Latin names
SUBJECT_FLAGS = frozenset({"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "f", "s", "j", "eng"})
PERSON_FLAGS = frozenset({"nr", "nrfg", "nrt"})
TAGGED_KINDS = {"person": PERSON_FLAGS, "place": frozenset({"ns"}),
                "who": PERSON_FLAGS | {"nt", "ns", "nz"}}


def with_gaps(own: np.ndarray) -> np.ndarray:
    """The candidate features of a question's pool (one row of
    :data:`OWN_FEATURES` per candidate) with each :data:`GAP_FEATURES`
    column's distance to the pool's best appended."""
    if not len(own):
        return np.zeros((0, len(CANDIDATE_FEATURES)))
    cols = [OWN_FEATURES.index(f) for f in GAP_FEATURES]
    gaps = own[:, cols] - own[:, cols].max(axis=0)
    return np.hstack([own, gaps])


def longest_piece(term: str, text: str) -> int:
    """Length of the longest piece of ``term`` (two characters or more) in
    ``text``; ``term`` is at most :data:`MAX_PARTIAL` long, so this is linear in ``text``."""
    term = term[:MAX_PARTIAL]
    for n in range(len(term), 1, -1):
        if any(term[i : i + n] in text for i in range(len(term) - n + 1)):
            return n
    return 0


@lru_cache(maxsize=4096)
def _spread(term: str) -> re.Pattern[str]:
    """A pattern for ``term``'s characters in order with short gaps between
    them: how Chinese shortens a name (数字服务 in 可数字化交付服务, 综试区 in
    综合试验区, 跨境电商 in 跨境电子商务)."""
    return re.compile(f".{{0,{MAX_GAP}}}".join(re.escape(c) for c in term))


def term_found(term: str, text: str, forms: tuple[str, ...] = ()) -> float:
    """1 when ``term`` or one of its alias forms is in ``text``; else partial
    credit: 0.8 when it or one of its forms is spread out as a long form of
    it, or (a longer term) two thirds of it are there in one piece, else the
    share of its character pairs found, times 0.8."""
    if term in text or any(f in text for f in forms):
        return 1.0
    for form in (term, *forms):  # a long form too is written longer (数字服务 in 可数字化交付服务)
        if 3 <= len(form) <= MAX_SPREAD and not form.isascii():
            m = _spread(form).search(text)
            if m is not None and len(m.group(0)) <= 2 * len(form) + 1:
                return 0.8
    if 3 <= len(term) <= MAX_PARTIAL:
        if longest_piece(term, text) >= math.ceil(2 * len(term) / 3):
            return 0.8
        grams = [term[i : i + 2] for i in range(len(term) - 1)]
        return sum(g in text for g in grams) / len(grams) * 0.8
    return 0.0


def unbracketed(norm: str) -> str:
    """``norm`` without its brackets: a name that sets a qualifier in brackets
    (中国（南京）软件谷) is written without them (南京软件谷)."""
    return norm.replace("(", "").replace(")", "")


def coverage(question: Question, text: str) -> tuple[float, frozenset[str]]:
    """idf-weighted share of the key terms found in ``text`` and the terms
    found whole; 的 inside a compound is ignored (可数字化交付的服务), and so
    are brackets inside a name (中国（南京）软件谷)."""
    if not question.terms:
        return 0.0, frozenset()
    norm = normalize(text)
    loose = unbracketed(norm).replace("的", "")
    got = {t: max(term_found(t, norm, question.expansions.get(t, ())),
                  term_found(t, loose, question.expansions.get(t, ())))
           for t in question.terms}
    total = sum(question.terms.values())
    return (sum(question.terms[t] * got[t] for t in got) / total,
            frozenset(t for t, v in got.items() if v >= 0.99))


def share_found(items: tuple[str, ...], text: str, forms: Mapping[str, tuple[str, ...]] | None = None) -> float:
    """Share of names or numbers found in ``text`` (1 when there are none):
    numbers whole (not inside a longer number), names when two thirds are
    there, with the text's brackets or without them (南京软件谷 in 中国（南京）软件谷),
    or one of their alias ``forms`` is (世界贸易组织 for wto)."""
    if not items:
        return 1.0
    norm = normalize(text)
    flat = unbracketed(norm)
    found = 0.0
    for item in items:
        if NUMBER.fullmatch(item):
            found += bool(re.search(rf"(?<![\d.]){re.escape(item)}(?![\d])", norm))
        elif item in norm or item in flat or (forms and any(f in norm for f in forms.get(item, ()))):
            found += 1
        elif len(item) >= 3:
            found += longest_piece(item, norm) >= max(2, math.ceil(0.66 * len(item)))
    return found / len(items)


def names_found(question: Question, text: str, names: tuple[str, ...] | None = None) -> float:
    """Share of the question's names (or of ``names``, some of them) in ``text``,
    each also found by the forms the report defines as the same (wto: 世界贸易组织)."""
    return share_found(question.names if names is None else names, text, question.expansions)


def years_found(question: Question, text: str) -> float:
    """Share of the question's years in ``text`` (1 when it names none)."""
    if not question.years:
        return 1.0
    norm = normalize(text)
    return sum(y in norm for y in question.years) / len(question.years)


def month_found(question: Question, text: str) -> float:
    """0 when the question dates its fact to a month (年底 is December) and
    ``text`` dates what it says only to other months (截至2022年8月底 for 截至
    2022年底), else 1."""
    if question.month is None:
        return 1.0
    norm = normalize(text)
    stated = {12} if YEAR_END.search(norm) else {int(m) for m in MONTH_IN_TEXT.findall(norm)}
    return 0.0 if stated and question.month not in stated else 1.0


def partner_found(question: Question, text: str) -> float:
    """1 when ``text`` sets the counterpart the question asks about against
    its subject too (对美国, 与“一带一路”共建国家, 向东盟), or the question asks
    none; else 0: a figure of the partner alone (美国的数字服务出口) or of the
    subject alone is not the pair's."""
    if question.partner is None:
        return 1.0
    norm = normalize(text)
    forms = (question.partner, *question.expansions.get(question.partner, ()))
    return float(any(re.search(PARTNER_IN_TEXT + re.escape(normalize(f)), norm) for f in forms))


def ordinal_found(question: Question, text: str) -> float:
    """1 when ``text`` states every ordinal the question states (首届 for 第一届)
    or the question states none; 0 when it states another of the same series
    (首届 for 第二届); 0.5 when it states none."""
    if not question.ordinals:
        return 1.0
    stated = set(ordinals(normalize(text)))
    if all(o in stated for o in question.ordinals):
        return 1.0
    series = {o[-1] for o in stated}
    return 0.0 if any(o[-1] in series for o in question.ordinals) else 0.5


def rank_found(question: Question, text: str) -> float:
    """1 when ``text`` states every place in a ranking the question states
    (居世界第一位 for 排第一), or the question states none; 0 when it states
    another place only (居世界第二位 for a question about the first); 0.5
    when it states no place."""
    if not question.ranks:
        return 1.0
    stated = set(ranks(normalize(text)))
    if set(question.ranks) <= stated:
        return 1.0
    return 0.0 if stated else 0.5


def scope_found(question: Question, text: str) -> float:
    """0 when ``text`` names a scope (:data:`SCOPES`) but not every scope the
    question names (全球 only, for a question about 中国): its figures cover
    another scope; else 1 (a text naming no scope may be the question's)."""
    if not question.scopes:
        return 1.0
    stated = set(scopes(normalize(text)))
    return 0.0 if stated and not set(question.scopes) <= stated else 1.0


def figure_lead(text: str) -> str:
    """What the clause holding a sentence's first figure says before the
    figure (``2022年，东部地区可数字化交付服务进出口规模达3396.5亿美元`` →
    ``东部地区可数字化交付服务进出口规模达``): where a statistic says whose it is;
    empty when the sentence states no figure."""
    norm = normalize(text)
    m = FIGURE.search(norm)
    if m is None:
        return ""
    start = max((e.end() for e in CLAUSE_END.finditer(norm, 0, m.start())), default=0)
    return norm[start : m.start()]


def subject_found(question: Question, subject: str | None, setting: bool) -> float:
    """Whether the question names whose a statistic is. ``subject`` is the
    first noun before the figure in its clause (东部 of 东部地区…规模达3396.5亿美元,
    发达经济体, 重庆经西部陆海新通道运输14.8万标箱); ``setting`` says it is a word
    the report uses everywhere (中国, 全球), which a question need not name.
    1 when the question names it (or one of its words is in it, or a form the
    report defines as the same), or it is the setting; 0 when the question does
    not name it (a part for the whole: 东部地区 for the country); 0.5 when the
    text states no figure with a subject (其中，出口2105.4亿美元)."""
    if subject is None:
        return 0.5
    if setting or subject in question.norm:
        return 1.0
    words = (*question.terms, *question.names, *(f for forms in question.expansions.values() for f in forms))
    return float(any(len(w) >= 2 and (w in subject or subject in w) for w in words))


def counted_found(question: Question, text: str) -> float:
    """Whether ``text`` counts what a how-many question counts. A count fits
    the counter when the counter (or 个, the general one) follows it, and the
    noun when two of its characters stand in the :data:`COUNT_REACH` before
    the count or after it up to its clause's end or a joiner. For a thing
    counted with both, 1 when one count fits both, 0.5 when one fits one of them
    (``34条跨境陆缆`` for 多少条国际海缆), else 0; with only one of them, 1 or 0;
    the best over the things a question counts (one per how-many part); 1 when
    it counts no thing. A count the question states itself (:func:`new_figure`)
    fits nothing."""
    if not question.counted:
        return 1.0
    norm = normalize(text)
    best = 0.0
    for m in COUNT.finditer(norm):
        if not new_figure(question, m.group(0)):
            continue
        after = COUNTED_STOP.split(norm[m.end() : m.end() + COUNT_AFTER], maxsplit=1)[0]
        before = norm[max(0, m.start() - COUNT_REACH) : m.start()]
        for counter, noun in question.counted:
            # 个 is the general counter: 47个城市 answers 多少座城市, 165家 answers 多少个
            counts = not counter or after[:1] in (counter, "个") or (counter == "个" and after[:1] in COUNTERS)
            near = not noun or max(longest_piece(noun, after), longest_piece(noun, before)) >= 2
            best = max(best, (counts + near) / 2 if counter and noun else float(counts and near))
    return best


def measured_found(question: Question, text: str, topic: str = "") -> float:
    """How well a figure of ``text`` is one of what a how-much question
    measures, the best over its figures and how-much parts of two readings:
    how much of the name's end (:data:`MEASURE_LEN` characters) stands just
    before the figure in its clause, the longest piece's share (出口额 before
    4.1万亿美元 for 数字服务出口额多少); and :func:`headed_found`, the name's head
    there and its qualifiers anywhere before the figure or in ``topic``, the
    sentence ``text`` continues (:data:`CONTINUES`). 1 when it measures nothing."""
    if not question.measured:
        return 1.0
    norm = normalize(text)
    before = normalize(topic) if topic and goes_on(norm) else ""
    best = 0.0
    for m in FIGURE.finditer(norm):  # before each figure, the MEASURE_REACH characters in its clause
        start = max((e.end() for e in CLAUSE_END.finditer(norm, 0, m.start())), default=0)
        lead = norm[max(start, m.start() - MEASURE_REACH) : m.start()]
        for name, words in zip(question.measured, question.measure_words, strict=True):
            end = name[-MEASURE_LEN:]
            headed = headed_found(words, lead, before + norm[: m.start()])
            best = max(best, longest_piece(end, lead) / len(end), headed)
    return best


def headed_found(words: MeasureWords, lead: str, stated: str) -> float:
    """How well a figure with ``lead`` before it in its clause, and ``stated``
    before it in all, is the measure ``words``: the share of its head's longest
    piece in the lead, times a half plus half the weighted share of its
    qualifiers :func:`term_found` in ``stated`` (``实现顺差483.7亿美元`` in a
    sentence on 可数字化交付的服务 for 数字服务贸易顺差); 0 when it has no head."""
    if not words.head:
        return 0.0
    total = sum(w for _, w in words.qualifiers)
    qualified = sum(w * term_found(q, stated) for q, w in words.qualifiers) / total if total else 1.0
    return longest_piece(words.head, lead) / len(words.head) * (0.5 + qualified / 2)


def dated_found(question: Question, text: str) -> float:
    """How well ``text`` states what a when-question dates (its verb,
    :attr:`Question.dated`): the best :func:`term_found` over its when-parts
    (``工作组正式成立`` dates no ``谈完``); 1 when it dates nothing."""
    if not question.dated:
        return 1.0
    norm = normalize(text)
    return max(term_found(event, norm) for event in question.dated)


def asked_found(question: Question, text: str, topic: str = "") -> float:
    """How well ``text`` (continuing ``topic``, see :func:`measured_found`) states what a
    question asks a figure or a date of: the lower of :func:`measured_found` and :func:`dated_found`."""
    return min(measured_found(question, text, topic), dated_found(question, text))


def part_found(part: Question, text: str) -> float:
    """How well ``text`` answers one asked part (:meth:`Question.parts`): its
    count's fit (:func:`counted_found`) or its measure's (:func:`measured_found`)."""
    return min(counted_found(part, text), measured_found(part, text))


def side_found(question: Question, text: str) -> float:
    """1 when the text states the trade side the question asks (进口 for
    进口; 进出口 states neither side alone) or it asks none; 0.5 when the
    text states no side at all; 0 when it states only another side or 进出口."""
    side = question.trade_side
    if side is None:
        return 1.0
    norm = normalize(text)
    stated = {s for s in TRADE_SIDES if s in (norm if s == "进出口" else norm.replace("进出口", ""))}
    if side in stated:
        return 1.0
    return 0.5 if not stated else 0.0


def kind_found(kind: str, text: str) -> bool | None:
    """Whether ``text`` holds an answer of ``kind``; ``None`` for a kind no
    text check tells (``entity``)."""
    norm = normalize(text)
    checks = {
        "day": DAY_IN_TEXT, "month": MONTH_IN_TEXT, "date": DATE_IN_TEXT, "quantity": QUANTITY, "money": CURRENCY,
        "rate": RATE_IN_TEXT, "change": CHANGED, "list": LISTED, "definition": DEFINED, "rank": RANKED,
        "comparison": COMPARED, "extreme": RANKED,
    }
    pattern = checks.get(kind)
    if pattern is None:
        return None
    if kind in ("quantity", "money", "rate"):
        return bool(pattern.search(norm)) and bool(QUANTITY.search(norm) or kind == "rate")
    return bool(pattern.search(norm))


def tagged_found(kind: str, tagged: list[tuple[str, str]], asked: str) -> bool | None:
    """Whether tagged text names a person or a place, for those kinds, that
    the question ``asked`` does not name itself (asked where the 中国—中亚峰会
    met, a sentence naming 中国 and 中亚国家 names no answer); else ``None``."""
    flags = TAGGED_KINDS.get(kind)
    if flags is None:
        return None
    return any(flag in flags and not named_in(word, asked) for word, flag in tagged)


def named_in(word: str, text: str) -> bool:
    """Whether ``text`` names ``word`` or a part of it of two characters or
    more (海南 names 海南省, 中亚 names 中亚国家: the same place, or one it qualifies)."""
    return word in text or longest_piece(word, text) >= 2


def new_figure(question: Question, figure: str) -> bool:
    """Whether a figure of a text is not one the question states itself: a
    question that gives a figure (中关村软件园的72家上市企业中…多少家) asks for
    another one, as a question naming a place asks for another place."""
    number = NUMBER.match(figure)
    return number is None or number.group(0) not in question.numbers


def type_verdicts(question: Question, text: str, tagged: list[tuple[str, str]] | None = None) -> list[bool]:
    """For each checkable kind the question asks for, whether ``text`` holds
    it; person and place are checked on ``tagged`` (the text's jieba tags) when given."""
    out = []
    for kind in question.asks:
        verdict = kind_found(kind, text)
        if verdict and kind in ("quantity", "money") and not question.percent:
            verdict = any(new_figure(question, m.group(0)) for m in AMOUNT.finditer(normalize(text)))
        if verdict is None and tagged is not None:
            verdict = tagged_found(kind, tagged, question.norm)
        if verdict is not None:
            out.append(verdict)
    return out


def typed_share(question: Question, text: str, tagged: list[tuple[str, str]] | None = None) -> float:
    """Share of the checkable kinds the question asks for that ``text`` holds (1 when none)."""
    verdicts = type_verdicts(question, text, tagged)
    return sum(verdicts) / len(verdicts) if verdicts else 1.0


def row_named(row_text: str, question: Question) -> float:
    """For a rendered table row (``表4 …（单位：亿元）中关村软件园：…``), the share of
    its name that the question states in one piece: 1 for ``中国`` in the 中国
    row, 2/9 for ``中国`` in 中国（南京）软件谷."""
    body = normalize(row_text)
    at = body.find(")")
    name = body[at + 1 :].split(":", 1)[0] if at >= 0 else ""
    return longest_piece(name, question.norm) / len(name[:MAX_PARTIAL]) if name else 0.0


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic regression over named features."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def probability(self, x: np.ndarray) -> float:
        """P(positive) for one feature vector (in :attr:`features` order)."""
        return float(self.probabilities(x)[0])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for each row of ``x``, all rows in one product."""
        z = (np.asarray(x, dtype=np.float64).reshape(-1, len(self.features)) - np.asarray(self.mean)) \
            / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-np.clip(z @ np.asarray(self.coef) + self.intercept, -50.0, 50.0)))

    def contributions(self, x: np.ndarray) -> dict[str, float]:
        """Each feature's share of the log-odds, relative to the training mean."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return {f: float(c * v) for f, c, v in zip(self.features, self.coef, z, strict=True)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LinearModel:
        """Read one model of ``reader.json``."""
        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in data[key])  # type: ignore[attr-defined]

        return cls(tuple(str(f) for f in data["features"]), floats("coef"),  # type: ignore[attr-defined]
                   float(data["intercept"]), floats("mean"), floats("scale"))  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class TreeModel:
    """Fitted gradient-boosted regression trees over named features, read as a
    probability through the logistic of ``init + rate * sum of the trees' leaf
    values``: a classifier's log-odds (prior, learning rate), or ranking
    trees' score with its Platt scaling (intercept, slope).

    Each array is ``(trees, nodes)``, trees padded to one node count; a leaf's
    ``feature`` is -1. A sample goes left when its feature is at most the
    node's threshold, compared as the fitting library compares: in float32
    (scikit-learn) or in float64 (LightGBM, ``float32`` false).
    """

    features: tuple[str, ...]
    init: float
    rate: float
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int
    float32: bool = True

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for each row of ``x`` (features in :attr:`features` order),
        every tree walked for every row at once, one level per step."""
        x = np.asarray(x, dtype=np.float32 if self.float32 else np.float64).astype(np.float64)
        x = x.reshape(-1, len(self.features))
        n, trees = len(x), np.arange(self.feature.shape[0])
        node = np.zeros((n, len(trees)), dtype=np.int64)
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            feature = self.feature[trees, node]
            leaf = feature < 0
            left = x[rows, np.where(leaf, 0, feature)] <= self.threshold[trees, node]
            node = np.where(leaf, node, np.where(left, self.left[trees, node], self.right[trees, node]))
        z = self.init + self.rate * self.value[trees, node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def probability(self, x: np.ndarray) -> float:
        """P(positive) for one feature vector."""
        return float(self.probabilities(x)[0])

    def to_json(self) -> dict[str, object]:
        """The model as ``reader.json`` keeps it."""
        return {"kind": "trees", "features": list(self.features), "init": self.init, "rate": self.rate,
                "depth": self.depth, "feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
                "left": self.left.tolist(), "right": self.right.tolist(), "value": self.value.tolist(),
                "float32": self.float32}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> TreeModel:
        """Read the trees of ``reader.json``; a ragged or mis-shaped array, a
        split on a feature the model lacks, a child outside its tree or not
        after its parent, or a ``depth`` that does not reach every leaf is a
        ``ValueError``."""
        ints = {k: np.array(data[k], dtype=np.int64) for k in ("feature", "left", "right")}
        floats = {k: np.array(data[k], dtype=np.float64) for k in ("threshold", "value")}
        shapes = {a.shape for a in (*ints.values(), *floats.values())}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError("tree arrays differ in shape")
        split = ints["feature"] >= 0
        nodes = ints["feature"].shape[1]
        if (ints["feature"] >= len(data["features"])).any():  # type: ignore[arg-type]
            raise ValueError("a tree splits on a feature the model does not have")
        after = np.arange(nodes)[None, :]
        if any(((ints[k] <= after) | (ints[k] >= nodes))[split].any() for k in ("left", "right")):
            raise ValueError("a tree's child lies outside it or before its parent")
        if _tree_depth(ints["feature"], ints["left"], ints["right"]) > int(data["depth"]):  # type: ignore[call-overload]
            raise ValueError("the trees are deeper than their depth says")
        return cls(tuple(str(f) for f in data["features"]), float(data["init"]),  # type: ignore[attr-defined, arg-type]
                   float(data["rate"]), ints["feature"], floats["threshold"], ints["left"],  # type: ignore[arg-type]
                   ints["right"], floats["value"], int(data["depth"]),  # type: ignore[call-overload]
                   bool(data.get("float32", True)))  # type: ignore[attr-defined]


def _tree_depth(feature: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """The most splits a walk takes from a root to a leaf, for trees whose
    children come after their parent (as the fitting library writes them)."""
    depth = np.zeros(feature.shape, dtype=np.int64)
    for node in range(feature.shape[1]):
        inner = np.flatnonzero(feature[:, node] >= 0)
        depth[inner, left[inner, node]] = depth[inner, node] + 1
        depth[inner, right[inner, node]] = depth[inner, node] + 1
    return int(depth.max())


@dataclass(frozen=True)
class ReaderModels:
    """The candidate model, the abstention model and its threshold."""

    candidate: LinearModel | TreeModel
    abstain: LinearModel
    threshold: float


class ReaderWeightsError(ReportqaError, ValueError):
    """The fitted weights file is missing, malformed or fitted on other features."""


def weights_path() -> Path:
    """Where the fitted weights live (inside the package)."""
    return Path(str(resources.files("reportqa.answer") / "reader.json"))


def load_models(path: Path | None = None) -> ReaderModels:
    """Read the fitted models; the message names the file and the fix when it is unusable."""
    path = path or weights_path()
    try:
        data = json.loads(path.read_text("utf-8"))
        cand = data["candidate"]
        candidate = TreeModel.from_json(cand) if cand.get("kind") == "trees" else LinearModel.from_json(cand)
        abstain = LinearModel.from_json(data["abstain"])
        threshold = float(data["abstain"]["threshold"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReaderWeightsError(f"reader weights {path} are unusable ({exc}): run `python eval/fit_reader.py`") from None
    if candidate.features != CANDIDATE_FEATURES or abstain.features != ANSWER_FEATURES:
        raise ReaderWeightsError(f"reader weights {path} were fitted on other features: run `python eval/fit_reader.py`")
    return ReaderModels(candidate, abstain, threshold)


def neutral_models() -> ReaderModels:
    """Models that weigh every feature equally, for fitting the first time
    (``eval/fit_reader.py`` reads features, not these weights, for its fit)."""
    def model(features: tuple[str, ...]) -> LinearModel:
        n = len(features)
        return LinearModel(features, (1.0,) * n, 0.0, (0.0,) * n, (1.0,) * n)

    return ReaderModels(model(CANDIDATE_FEATURES), model(ANSWER_FEATURES), 0.5)
