"""The extractive answer composer: the report's own sentences, cited.

For a question it retrieves passages (one model forward: the query vector),
then scores every sentence of the retrieved passages with vectors computed at
index time, the question's key terms (weighted by their rarity in the
report), its numbers and years, and cues of the question type. The best
sentences, at most three and 200 characters, form the answer, each with a
citation marker. When the evidence does not cover the question's key terms
well enough the composer abstains.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportqa.chunking import Passage, Sentence
from reportqa.retrieval import Hit, Retriever
from reportqa.segment.tokenizer import normalize

ABSTAIN_TEXT = "报告中没有找到相关信息"
Piece = tuple[str, Sentence, Passage]  # answer text, the sentence it comes from, the passage cited
MAX_CHARS = 200
NUMBER = re.compile(r"\d+(?:\.\d+)?")
YEAR = re.compile(r"(?:19|20)\d{2}")
HOW_MUCH = re.compile(r"多少|几|多大|多高|规模|比重|占比|增速|增长了?多|总额|数量|金额")
WHEN = re.compile(r"何时|什么时候|哪一年|哪年|哪个月|时间|日期|何年")
WHICH = re.compile(r"哪些|哪几|包括什么|有什么|列举")
DEFINE = re.compile(r"什么是|是什么|指什么|含义|定义|是指|内涵|何谓|包括哪些内容")
COMPARE = re.compile(r"哪个.*更|谁更|哪一个.*更|更高|更快|更多|更大|更低|比较|相比|对比|高于|超过|还是")
DATE_IN_TEXT = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月")
DEFINE_IN_TEXT = re.compile(r"是指|即|包括|包含|指的是|简称|是.{0,8}的")
COMPARE_IN_TEXT = re.compile(r"高于|低于|超过|高出|仅次于|领先|排名|位居|较|比")
ENTITY_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "eng"})
QUOTED = re.compile(r"[《“「]([^》”」]{2,30})[》”」]")
UNIT_WORDS = frozenset({"亿美元", "万亿美元", "亿元", "万亿元", "美元"})
QUESTION_WORDS = frozenset(
    line.strip() for line in (Path(__file__).parent / "question_words.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


@dataclass(frozen=True)
class Citation:
    """A cited passage and the sentence quoted from it."""

    n: int
    passage: Passage
    quote: str
    quote_start: int
    quote_end: int


@dataclass(frozen=True)
class Answer:
    """A composed answer with its citations and timings."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    support: float
    see_also: tuple[Passage, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage with its score."""

    sentence: Sentence
    sentence_index: int
    hit: Hit
    score: float
    covered: frozenset[str]


@dataclass(frozen=True)
class ComposerConfig:
    """Weights of the sentence score and the abstention threshold.

    ``abstain_threshold`` is calibrated on the question set by
    ``reportqa calibrate`` (stored in ``answer/calibration.json``).
    """

    top_k: int = 8
    max_sentences: int = 3
    dense_weight: float = 0.6
    coverage_weight: float = 0.35
    rank_weight: float = 0.1
    cue_bonus: float = 0.06
    critical_weight: float = 0.1
    abstain_threshold: float = 0.5
    generator_passages: int = 5


ASKS_WHEN = re.compile(r"何时|什么时候|哪一年|哪年|哪个月|哪一月|几月|何年")
ASKS_COUNT = re.compile(r"多少|(?<!哪)几[个家项次年位件条份种]")  # 哪几项 asks for a list


def answer_type_found(question: str, evidence: str) -> bool:
    """Whether the evidence holds the kind of answer the question asks for:
    a date for a when-question, a quantity (a number that is no year, month
    or day) for a how-many question, a currency for an amount of money."""
    if ASKS_WHEN.search(question) and not DATE_IN_TEXT.search(evidence):
        return False
    if ASKS_MONEY.search(question) and not CURRENCY.search(evidence):
        return False
    return not (ASKS_COUNT.search(question) and not QUANTITY.search(normalize(evidence)))


ASKS_MONEY = re.compile(r"(?:收入|营收|营业额|销售额|金额|产值|市值|利润|进出口额|[出进]口额|交易额|投资额|执行额|贸易额|总额)"
                        r"(?:规模)?(?:是|为|有|达到?|约)?(?:多少|几)(?![个家项件人位次])")
CURRENCY = re.compile(r"美元|元|人民币|欧元|英镑|日元")

QUANTITY = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)\d+(?:\.\d+)?(?![\d.])(?!\s*[月日])")


ASKS_DAY = re.compile(r"哪一?天|几号|哪日")
ASKS_LIST = re.compile(r"哪些|哪几|分别是|分别位于|分别为")
LISTED = re.compile(r"、|；|;|一是|和|及|与|》《|”“")
ASKS_GROWTH = re.compile(r"增长了?多少|增速是?多少|增长率|增幅|同比变化")
GROWTH_STATED = re.compile(r"(?:增长|增速|增幅|同比|提升|上升|下降|降低|减少)[^，。；]{0,8}?-?\d+(?:\.\d+)?\s*(?:%|倍|个百分点)")
WH_KIND = re.compile(r"(?:哪|什么)[一两三四五六七八九几]?[个家座项种类位所部条些方]?([\u4e00-\u9fff]{2})")
ASKS_WHO = re.compile(r"是谁[？?]?$")
PERSON_FLAGS = frozenset({"nr", "nrfg", "nrt"})


def answer_form_found(question: str, stated: str) -> bool:
    """Whether the answer (its pieces) has the form the question asks for: a
    day for a which-day question, two or more items for a which-ones
    question, a rate of change for a growth question."""
    text = normalize(stated)
    if ASKS_DAY.search(question) and not re.search(r"\d{1,2}\s*日", text):
        return False
    if ASKS_LIST.search(question) and not LISTED.search(text):
        return False
    return not (ASKS_GROWTH.search(question) and not GROWTH_STATED.search(text))


ASKED_MEASURE = re.compile(r"(?:多少|几)(万亿美元|亿美元|万亿元|亿元|美元|元|天|小时|个月|倍|公里|标箱|吨|人次)")
ORDINAL = re.compile(r"第[一二三四五六七八九十\d]+|首[任位个届部家条次批座所款]")
STATED_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


def specifics_missing(question: str, stated: str) -> list[str]:
    """The specifics a question states that the answer does not: its numbers
    other than years (``6G``, ``12月``), the unit of an amount asked for
    (``多少亿美元``, ``多少天``: a figure in that unit), and ordinals (``第一``,
    ``首任``; ``首X`` is also stated as ``第一X``). ``stated`` is the answer
    with its sections' titles. An answer missing one answers another question."""
    norm = normalize(question)
    text = normalize(stated)
    missing = [n for n in STATED_NUMBER.findall(norm) if not YEAR.fullmatch(n)
               and not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", text)]
    asked = ASKED_MEASURE.search(norm)
    if asked and not re.search(rf"\d(?:\.\d+)?\s*[多余]?\s*[万亿千百]*\s*{asked.group(1)}", text):
        missing.append(asked.group(0))
    for ordinal in ORDINAL.findall(norm):
        ways = (ordinal, "第一" + ordinal[1:], "首") if ordinal.startswith("首") else (ordinal,)
        # 第五 is also written 5 (第五代移动网络, 5G); 第一 stays strict: a rank
        n = CHINESE_ORDINALS.find(ordinal[1:]) + 1 if len(ordinal) == 2 else 0
        if not any(way in text for way in ways) and not (
                n >= 2 and re.search(rf"(?<![\d.]){n}(?![\d.])", text)):
            missing.append(ordinal)
    return list(dict.fromkeys(missing))


OPPOSITES = (
    ("国内", ("海外", "国外", "境外")), ("海外", ("国内",)), ("国外", ("国内",)),
    ("境外", ("境内", "国内")), ("境内", ("境外",)), ("进口", ("出口",)), ("出口", ("进口",)),
    ("线上", ("线下",)), ("线下", ("线上",)), ("增长", ("下降",)), ("下降", ("增长", "上升")),
    ("顺差", ("逆差",)), ("逆差", ("顺差",)), ("最高", ("最低",)), ("最低", ("最高",)),
)


def opposites_stated(question: str, stated: str) -> list[str]:
    """Words of the question whose opposite the answer states instead of
    them: 国内 asked, 海外 answered; 进口 asked, 出口 answered (进出口 states
    neither side alone)."""
    asked = normalize(question).replace("进出口", "")
    text = normalize(stated).replace("进出口", "")
    return [word for word, opposite in OPPOSITES
            if word in asked and word not in text and any(o in text for o in opposite)]


def numbers_in(text: str) -> set[str]:
    """Numbers as they appear in text (``3727.1``, ``2022``)."""
    return set(NUMBER.findall(normalize(text)))


def numbers_supported(answer: str, passages: list[Passage]) -> bool:
    """True when every number in ``answer`` (markers aside) is in a cited passage."""
    body = re.sub(r"\[\d+\]", " ", answer)  # not "": 1380[1]2022年 is two numbers
    cited = normalize("\n".join(p.text for p in passages))
    return all(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d]|\.\d)", cited) for n in numbers_in(body))


class Answerer:
    """Answers questions from retrieval over the report.

    Args:
        retriever: the loaded retriever (its embedder gives the one forward).
        config: scoring weights and the abstention threshold.
        generator: an optional writer of answers from numbered passages; its
            output must pass the citation and number checks, else the
            extractive answer is returned.
    """

    def __init__(self, retriever: Retriever, config: ComposerConfig | None = None,
                 generator: object | None = None) -> None:
        self.retriever = retriever
        self.config = config or ComposerConfig()
        self.generator = generator
        bm25 = retriever.index.bm25
        self._idf = bm25.idf
        self._vocab = bm25.vocab
        self._max_idf = float(math.log(bm25.size + 0.5) - math.log(0.5)) if bm25.size else 1.0

    def warm_up(self) -> None:
        """Load what the first question would otherwise load (the part-of-speech
        tagger's dictionary, the model's first forward), so no request pays for it."""
        self.retriever.tokenizer.tagged("数字贸易")
        self.retriever.encode("数字贸易")

    # -- key terms -------------------------------------------------------------
    def key_terms(self, question: str) -> dict[str, float]:
        """Content words of the question with idf weights (unknown words weigh most).

        Stopwords and question-framing words (``什么样``, ``相比``) are left
        out. A compound the report never uses is replaced by its dictionary
        parts the report does use (``机构编制`` → ``机构``, ``编制``)."""
        tokenizer = self.retriever.tokenizer
        skip = tokenizer.stopwords | QUESTION_WORDS
        terms: dict[str, float] = {}
        for word in tokenizer.words(question):
            if word in skip:
                continue
            parts = [word]
            if word not in self._vocab and len(word) >= 3:
                known = [p for p in tokenizer.tokenize(word) if p != word and p in self._vocab and p not in skip]
                parts = known or parts
            for part in parts:
                k = self._vocab.get(part)
                weight = float(self._idf[k]) if k is not None else self._max_idf
                terms[part] = max(weight, 0.05)
        return terms

    def critical_terms(self, question: str) -> list[str]:
        """What an answer's evidence must mention: the question's numbers, the
        names of places and organisations that the report knows, and a
        currency unit asked for (``多少亿美元``)."""
        tokenizer = self.retriever.tokenizer
        terms: list[str] = [normalize(q) for q in QUOTED.findall(question) if q.strip()]
        for word, flag in tokenizer.tagged(question):
            if word.isdigit() or word in UNIT_WORDS or flag in ENTITY_FLAGS and word in self._vocab and not word.isascii() or (
                flag == "eng" and word in self._vocab and len(word) >= 2
            ):
                terms.append(word)
            elif flag in ENTITY_FLAGS and word not in self._vocab and len(word) >= 3:
                # a name the report never uses as such: its names it does (美国市场 → 美国)
                parts = [p for p in tokenizer.tokenize(word) if p != word and p in self._vocab and not p.isascii()]
                terms += [p for p in parts if tokenizer.tagged(p)[0][1] in ENTITY_FLAGS - {"eng"}]
        return list(dict.fromkeys(terms))

    @staticmethod
    def critical_coverage(terms: list[str], text: str) -> float:
        """Share of critical terms in ``text``: numbers exactly (not inside a
        longer number), names when most of the name is there."""
        if not terms:
            return 1.0
        norm = normalize(text)
        found = 0
        for term in terms:
            if term.isdigit():
                found += bool(re.search(rf"(?<![\d.]){term}(?![\d])", norm))
            elif term in norm:
                found += 1
            elif len(term) >= 3:
                # most of a name: 山东 for 山东省, 浦东软件园 for 上海浦东软件园
                found += _longest_piece(term, norm) >= max(2, math.ceil(0.66 * len(term)))
        return found / len(terms)

    @staticmethod
    def _covered(term: str, text: str) -> float:
        """1 when ``term`` is in ``text``; for a longer term, partial credit:
        0.8 when two thirds of it are there in one piece (``辽宁`` for
        ``辽宁省``), else the share of its character pairs found."""
        if term in text:
            return 1.0
        if len(term) >= 3:
            if _longest_piece(term, text) >= math.ceil(2 * len(term) / 3):
                return 0.8
            grams = [term[i : i + 2] for i in range(len(term) - 1)]
            return sum(g in text for g in grams) / len(grams) * 0.8
        return 0.0

    def coverage(self, terms: dict[str, float], text: str) -> tuple[float, frozenset[str]]:
        """idf-weighted share of ``terms`` found in ``text``."""
        if not terms:
            return 0.0, frozenset()
        norm = normalize(text)
        # 的 is often inserted inside a compound: 可数字化交付的服务 ~ 可数字化交付服务
        loose = norm.replace("的", "")
        got = {t: max(self._covered(t, norm), self._covered(t, loose)) for t in terms}
        total = sum(terms.values())
        score = sum(terms[t] * got[t] for t in terms) / total
        return score, frozenset(t for t, v in got.items() if v >= 0.99)

    # -- scoring -----------------------------------------------------------------
    def _cue(self, question: str, sentence: str, critical: list[str]) -> float:
        bonus = 0.0
        if DEFINE.search(question) and any(f"（{t}）" in normalize(sentence) or f"({t})" in normalize(sentence)
                                           for t in critical):
            bonus += 1  # the full name stands before the abbreviation in brackets
        has_number = bool(NUMBER.search(sentence))
        if HOW_MUCH.search(question) and has_number:
            bonus += 1
        if WHEN.search(question) and DATE_IN_TEXT.search(sentence):
            bonus += 1
        if WHICH.search(question) and sentence.count("、") >= 1:
            bonus += 1
        if DEFINE.search(question) and DEFINE_IN_TEXT.search(sentence):
            bonus += 1
        if COMPARE.search(question) and (COMPARE_IN_TEXT.search(sentence) or len(NUMBER.findall(sentence)) >= 2):
            bonus += 1
        years = set(YEAR.findall(question))
        if years and years & set(YEAR.findall(sentence)):
            bonus += 1
        return bonus

    def candidates(self, question: str, vector: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        """Every sentence of the hits, scored, best first."""
        terms = self.key_terms(question)
        critical = self.critical_terms(question)
        index = self.retriever.index
        seen: set[int] = set()
        out: list[Candidate] = []
        for hit in hits:
            if hit.passage.kind == "table":
                continue  # a whole table is no sentence: its rows answer
            passage_idx = self._passage_index(hit.passage)
            heading = hit.passage.heading
            context = " ".join(hit.passage.section_path) + hit.passage.text
            crit = self.critical_coverage(critical, context)
            for s in index.members[passage_idx]:
                if s in seen:
                    continue
                seen.add(s)
                sentence = index.sentences[s]
                sim = float(index.sentence_vectors[s] @ vector)
                cov, covered = self.coverage(terms, heading + sentence.text)
                prior = 1.0 - (hit.rank - 1) / max(len(hits), 1)
                cue = self._cue(question, sentence.text, critical)
                crit_here = self.critical_coverage(critical, heading + sentence.text)
                score = (self.config.dense_weight * sim + self.config.coverage_weight * cov
                         + self.config.rank_weight * prior + self.config.cue_bonus * cue
                         + self.config.critical_weight * (crit + crit_here) / 2)
                out.append(Candidate(sentence, s, hit, score, covered))
        out.sort(key=lambda c: -c.score)
        return out

    def _passage_index(self, passage: Passage) -> int:
        position = self.retriever.position(passage.id)
        assert position is not None, "a hit's passage is in the index"
        return position

    def support(self, question: str, vector: np.ndarray, best: Candidate, pieces: list[Piece]) -> float:
        """How well the evidence covers the question: the abstention score.

        Key-term coverage of the best passage and the best sentence's
        similarity, less a penalty for names the passage lacks, for an answer
        of the wrong type or form, and for an answer that does not fit the
        question (:meth:`mismatched`)."""
        terms = self.key_terms(question)
        passage = best.hit.passage
        cov, _ = self.coverage(terms, passage.heading + passage.text)
        sim = float(self.retriever.index.sentence_vectors[best.sentence_index] @ vector)
        crit = self.critical_coverage(self.critical_terms(question),
                                      " ".join(passage.section_path) + passage.text)
        typed = self.typed(question, terms, best, pieces)
        mismatch = self.mismatched(question, pieces)
        return 0.6 * cov + 0.4 * sim - (1.0 - crit) - (0.0 if typed else 1.0) - (1.0 if mismatch else 0.0)

    def typed(self, question: str, terms: dict[str, float], best: Candidate, pieces: list[Piece]) -> bool:
        """Whether the answer has the type and form the question asks for: a
        date, quantity or currency in the best sentence (or in a piece that
        matches most of the question and every key term the best sentence
        matches), a day, items or a rate in the pieces, a person for 是谁."""
        best_terms = self.coverage(terms, best.sentence.text)[1]

        def stands_in(piece: str) -> bool:
            share, matched = self.coverage(terms, piece)
            return share >= MATCH_MOST and matched > best_terms

        return ((answer_type_found(question, best.sentence.text)
                 or any(answer_type_found(question, p) and stands_in(p) for p, _, _ in pieces))
                and answer_form_found(question, "".join(p for p, _, _ in pieces))
                and (not ASKS_WHO.search(question.strip()) or self.names_a_person(best.sentence.text)))

    def mismatched(self, question: str, pieces: list[Piece]) -> bool:
        """Whether the answer fits another question: it is empty, lacks the
        question's specifics (numbers, an asked unit, ordinals), states the
        opposite of one of its words, or leaves a name of the question out of
        what its passages say up to its sentences."""
        if not pieces:
            return True
        stated = _stated(pieces)
        asked_kind = {m.group(1) for m in WH_KIND.finditer(question)}
        quoted = QUOTED.findall(normalize(question))
        names = [t for t in self.critical_terms(question) if not t.isdigit() and t not in UNIT_WORDS
                 and t not in asked_kind and t not in quoted
                 and (self._vocab.get(t) is None or self._idf[self._vocab[t]] >= SIDE_MIN_IDF)]
        return bool(specifics_missing(question, stated) or opposites_stated(question, stated)
                    or self.critical_coverage(names, _lead_up(pieces)) < 1)

    def names_a_person(self, text: str) -> bool:
        """Whether ``text`` names a person (the tagger's person names)."""
        return any(flag in PERSON_FLAGS for _, flag in self.retriever.tokenizer.tagged(text))

    # -- composing ------------------------------------------------------------
    def choose(self, question: str, ranked: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus up to two that cover key terms it misses."""
        if not ranked:
            return []
        terms = self.key_terms(question)
        chosen = [ranked[0]]
        covered = set(ranked[0].covered)
        budget = MAX_CHARS - len(_clip(ranked[0].sentence.text))
        total = sum(terms.values()) or 1.0
        # a comparison needs both sides, often from two sentences
        floor = 0.6 if COMPARE.search(question) else 0.8
        for cand in ranked[1:12]:
            if len(chosen) >= self.config.max_sentences:
                break
            gain = sum(terms[t] for t in cand.covered - covered) / total
            if gain >= 0.2 and len(cand.sentence.text) <= budget and cand.score >= ranked[0].score * floor:
                chosen.append(cand)
                covered |= cand.covered
                budget -= len(cand.sentence.text)
        chosen.sort(key=lambda c: (c.hit.rank, c.sentence.start))
        return self._continue_lead(chosen)

    def _continue_lead(self, chosen: list[Candidate]) -> list[Candidate]:
        """A short lead sentence (``上海市大力推进跨境数字基础设施。``) announces
        what follows: add the following sentences of its passage while they fit."""
        if len(chosen) != 1 or len(chosen[0].sentence.text) > 40:
            return chosen
        first = chosen[0]
        index = self.retriever.index
        members = index.members[self._passage_index(first.hit.passage)]
        at = members.index(first.sentence_index) if first.sentence_index in members else -1
        budget = MAX_CHARS - len(first.sentence.text)
        out = [first]
        for s in members[at + 1 :] if at >= 0 else []:
            sentence = index.sentences[s]
            if len(sentence.text) > budget or len(out) >= self.config.max_sentences:
                break
            out.append(Candidate(sentence, s, first.hit, first.score, first.covered))
            budget -= len(sentence.text)
        return out

    def enumeration(self, question: str, ranked: list[Candidate]) -> list[Piece] | None:
        """For a which-question whose best sentence belongs to a numbered run
        (``一是…二是…``, ``1.…2.…``), the run's item heads after its short
        lead: ``上海市大力推进跨境数字基础设施。一是提升国际海光缆容量；二是…``.
        ``None`` when the question asks for no list or there is no run."""
        if not ranked or not WHICH.search(question):
            return None
        index = self.retriever.index
        best = ranked[0].sentence_index
        first = next((s for s in range(best, max(best - LIST_WINDOW, -1), -1)
                      if _ordinal(index.sentences[s].text) == 1), None)
        if first is None:  # a lead just before its run
            first = next((s for s in range(best + 1, min(best + 3, len(index.sentences)))
                          if _ordinal(index.sentences[s].text) == 1), None)
        if first is None:
            return None
        items = [first]
        doc = self._passage_of(first).doc_id
        s = first + 1
        while s < len(index.sentences) and s - items[-1] <= LIST_GAP and self._passage_of(s).doc_id == doc:
            if _ordinal(index.sentences[s].text) == len(items) + 1:
                items.append(s)
            s += 1
        if len(items) < 2 or best > items[-1] + 2:  # past the last item and its explanation
            return None
        out: list[Piece] = []
        budget = MAX_CHARS
        lead = index.sentences[first - 1] if first else None
        if (lead is not None and len(lead.text) <= 40 and _ordinal(lead.text) is None
                and self._passage_of(first - 1).section_path == self._passage_of(first).section_path):
            out.append((lead.text, lead, self._passage_of(first - 1)))
            budget -= len(lead.text)
        heads = []
        for s in items:
            head = _item_head(index.sentences[s].text)
            if len(head) + 1 > budget:
                break
            heads.append((head + "；", index.sentences[s], self._passage_of(s)))
            budget -= len(head) + 1
        if len(heads) < 2:
            return None
        last, sentence, passage = heads[-1]
        heads[-1] = (last[:-1] + "。", sentence, passage)
        return out + heads

    def comparison_sides(self, question: str) -> list[str]:
        """The names a comparison question sets against each other (``新西兰``,
        ``新加坡``): its critical names that are rare in the report (idf >= 1.5,
        so not ``中国`` as the setting), and any name joined to another by 和,
        与, 及 or 、 (``中国和印度``). Empty for other questions."""
        if not COMPARE.search(question):
            return []
        norm = normalize(question)
        names = [t for t in self.critical_terms(question) if not t.isdigit() and t not in UNIT_WORDS]
        joined = {t for t in names for other in names if other != t
                  and re.search(rf"{re.escape(t)}[和与及、]{re.escape(other)}|{re.escape(other)}[和与及、]{re.escape(t)}",
                                norm)}
        sides = []
        for term in names:
            k = self._vocab.get(term)
            if term in joined or k is None or self._idf[k] >= SIDE_MIN_IDF:
                sides.append(term)
        return sides

    def side_by_side(self, sides: list[str], ranked: list[Candidate]) -> list[Piece] | None:
        """One piece per side of a comparison: the best sentence naming the
        side, cut to the clauses that name it and give its figure when long.
        ``None`` when a side has no sentence or the pieces do not fit."""
        pieces: list[Piece] = []
        for side in sides:
            if any(self.critical_coverage([side], p) == 1 for p, _, _ in pieces):
                continue
            cand = next((c for c in ranked[:SIDE_SEARCH] if self.critical_coverage([side], c.sentence.text) == 1
                         and NUMBER.search(c.sentence.text)), None)
            if cand is None:
                return None
            text = cand.sentence.text
            if cand.hit.passage.kind == "table_row":
                piece: str | None = _row_body(text, side)
            else:
                piece = text if len(text) <= SIDE_MAX_CHARS else _side_clause(text, side)
            if piece is None or any(piece == p for p, _, _ in pieces):
                return None
            pieces.append((piece, cand.sentence, cand.hit.passage))
        if len(pieces) < 2 or sum(len(p) for p, _, _ in pieces) > MAX_CHARS:
            return None
        return pieces

    def _piece_coverage(self, question: str, pieces: list[Piece]) -> float:
        """Key-term coverage of an answer's pieces with their sections' titles."""
        return self.coverage(self.key_terms(question), _stated(pieces))[0]

    def _passage_of(self, sentence_index: int) -> Passage:
        """The first passage holding a sentence."""
        index = self.retriever.index
        return index.passages[index.sentence_passages[sentence_index][0]]

    def _generated(self, question: str, hits: list[Hit], support: float) -> Answer | None:
        """The generator's answer when it passes the checks, else ``None``:
        markers must point at given passages, the answer must fit 200
        characters, and every number must be in a cited passage."""
        passages = [h.passage for h in hits[: self.config.generator_passages]]
        try:
            raw = self.generator.generate(question, passages)  # type: ignore[union-attr]
        except Exception:  # an unreachable endpoint or a failing model: fall back
            return None
        markers = [int(m) for m in MARKER.findall(raw)]
        if not markers or any(not 1 <= m <= len(passages) for m in markers):
            return None
        if len(re.sub(r"\s", "", MARKER.sub("", raw))) > MAX_CHARS:
            return None
        order = list(dict.fromkeys(markers))
        renumber = {old: new for new, old in enumerate(order, start=1)}
        text = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", raw)
        cited = [passages[old - 1] for old in order]
        if not numbers_supported(text, cited):
            return None
        citations = []
        for old, passage in zip(order, cited, strict=True):
            quote = _best_quote(passage, text)
            citations.append(Citation(renumber[old], passage, quote.text, quote.start, quote.end))
        return Answer(question, text, False, tuple(citations), support)

    def answer(self, question: str, k: int | None = None, mode: str | None = None) -> Answer:
        """Retrieve, compose and check an answer to ``question``."""
        question = question.strip()
        t0 = time.perf_counter()
        vector = self.retriever.encode(question)
        hits = self.retriever.search_vector(question, vector, k or self.config.top_k, mode)
        t1 = time.perf_counter()
        ranked = self.candidates(question, vector, hits)
        result = self._compose(question, vector, hits, ranked)
        t2 = time.perf_counter()
        timings = {"retrieve": round((t1 - t0) * 1000, 2), "answer": round((t2 - t1) * 1000, 2),
                   "total": round((t2 - t0) * 1000, 2)}
        return Answer(result.question, result.text, result.abstained, result.citations,
                      result.support, result.see_also, timings)

    def pieces(self, question: str, ranked: list[Candidate]) -> list[Piece]:
        """The extractive answer's pieces: the chosen sentences, or a list's
        items, or one piece per side of a comparison."""
        chosen = self.choose(question, ranked)
        terms = self.key_terms(question)
        # a table row is a record of one thing: cited only when it matches most of the question
        chosen = [c for c in chosen if c.hit.passage.kind != "table_row"
                  or self.coverage(terms, c.hit.passage.text)[0] >= MATCH_MOST]
        pieces = [(_clip(c.sentence.text), c.sentence, c.hit.passage) for c in chosen]
        listed = self.enumeration(question, ranked)
        if listed and self._piece_coverage(question, listed) >= self._piece_coverage(question, pieces):
            pieces = listed
        sides = self.comparison_sides(question)
        if len(sides) >= 2 and not all(any(self.critical_coverage([t], p) == 1 and NUMBER.search(p)
                                           for p, _, _ in pieces) for t in sides):
            pieces = self.side_by_side(sides, ranked) or pieces
        return pieces

    def _compose(self, question: str, vector: np.ndarray, hits: list[Hit],
                 ranked: list[Candidate]) -> Answer:
        if not ranked:
            return Answer(question, ABSTAIN_TEXT, True, (), 0.0, tuple(h.passage for h in hits[:3]))
        pieces = self.pieces(question, ranked)
        support = self.support(question, vector, ranked[0], pieces)
        if support < self.config.abstain_threshold:
            return Answer(question, ABSTAIN_TEXT, True, (), support, tuple(h.passage for h in hits[:3]))
        if self.generator is not None:
            written = self._generated(question, hits, support)
            if written is not None:
                return written
        if not pieces:
            return Answer(question, ABSTAIN_TEXT, True, (), support, tuple(h.passage for h in hits[:3]))
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        parts = []
        for k, (piece, sentence, passage) in enumerate(pieces):
            if passage.id not in numbers:
                numbers[passage.id] = len(numbers) + 1
                citations.append(Citation(numbers[passage.id], passage, sentence.text, sentence.start, sentence.end))
            # list items of one passage share the marker at the end of the list
            same_list = piece.endswith("；") and k + 1 < len(pieces) and pieces[k + 1][2].id == passage.id
            parts.append(piece if same_list else f"{piece}[{numbers[passage.id]}]")
        text = "".join(parts)
        if not numbers_supported(text, [c.passage for c in citations]):
            return Answer(question, ABSTAIN_TEXT, True, (), support, tuple(h.passage for h in hits[:3]))
        return Answer(question, text, False, tuple(citations), support)


MARKER = re.compile(r"\[(\d+)\]")
MATCH_MOST = 0.75  # key-term coverage of "most of the question": a cited table row needs it
LIST_WINDOW = 8  # sentences back from the best one to its run's first item
LIST_GAP = 4  # sentences of explanation allowed between two items
CHINESE_ORDINALS = "一二三四五六七八九十"
ITEM = re.compile(r"^\s*(?:([一二三四五六七八九十])是|（([一二三四五六七八九十])）|(\d{1,2})\s*[.．、](?!\d))")


def _ordinal(sentence: str) -> int | None:
    """The item number a sentence opens with (``二是`` → 2, ``3.`` → 3)."""
    m = ITEM.match(sentence)
    if m is None:
        return None
    if m.group(3):
        return int(m.group(3))
    return CHINESE_ORDINALS.index(m.group(1) or m.group(2)) + 1


SIDE_MIN_IDF = 1.5  # a name rarer than this is a side of a comparison, not its setting
SIDE_SEARCH = 20  # candidates searched for a sentence naming a side
SIDE_MAX_CHARS = 80  # a longer sentence is cut to the side's clauses
CLAUSE = re.compile(r"[^，；。]+[，；。]?")


def _side_clause(sentence: str, side: str) -> str | None:
    """The clause of ``sentence`` naming ``side``, with the next clause when
    the figure comes after it: ``中国已与30个国家建立“丝路电商”双边合作机制``."""
    clauses = CLAUSE.findall(sentence)
    for k, clause in enumerate(clauses):
        if Answerer.critical_coverage([side], clause) == 1:
            piece = clause
            if not NUMBER.search(piece) and k + 1 < len(clauses):
                piece += clauses[k + 1]
            return piece.rstrip("，；") + "。" if NUMBER.search(piece) else None
    return None


def _stated(pieces: list[Piece]) -> str:
    """What an answer states: its pieces with the titles of their sections,
    and for a table row its table's caption."""
    titles = _titles(pieces)
    titles.update(dict.fromkeys(_caption(passage.text) for _, _, passage in pieces if passage.kind == "table_row"))
    return " ".join(titles) + "".join(p for p, _, _ in pieces)


def _titles(pieces: list[Piece]) -> dict[str, None]:
    """The titles of the pieces' sections, once each, in order."""
    return dict.fromkeys(" ".join(passage.section_path) for _, _, passage in pieces)


def _caption(row: str) -> str:
    """A rendered table row's caption: ``表1 …（单位：亿美元；%）``."""
    at = row.find("）")
    return row[: at + 1] if at > 0 else ""


def _row_body(row: str, side: str) -> str | None:
    """A table row from the name of its subject on, without the caption,
    cut at a cell boundary to the side budget: ``中国：进出口3727.07，…``."""
    # the side is a word of the question; normalising (lower case) only finds it
    # when the row spells it otherwise, and keeps the length of a rendered row
    at = row.find(side)
    if at < 0:
        at = normalize(row).find(side)
    if at < 0:
        return None
    body = row[at:]
    if len(body) > SIDE_MAX_CHARS:
        cut = body[:SIDE_MAX_CHARS]
        body = cut[: max(cut.rfind("；"), cut.rfind("，"))] or cut
    return body.rstrip("；，") + "。"


def _lead_up(pieces: list[Piece]) -> str:
    """What an answer's passages say up to its sentences, with their sections'
    titles: a name given there is the sentences' subject (``杭州高新区（滨江）
    物联网产业园…。2022年，基地…``); a name only after them belongs to another."""
    parts = _titles(pieces)
    for _, sentence, passage in pieces:
        at = passage.text.find(sentence.text)
        parts[passage.text if at < 0 else passage.text[: at + len(sentence.text)]] = None
    return " ".join(parts)


def _item_head(sentence: str) -> str:
    """An item without its closing stop, cut at its first clause when long."""
    head = sentence.rstrip("。；;")
    if len(head) > 40:
        head = head[: min((i for i in (head.find("，"), head.find("；")) if i > 0), default=len(head))]
    return head


def _longest_piece(term: str, text: str) -> int:
    """Length of the longest piece of ``term`` (two characters or more) in ``text``."""
    for n in range(len(term), 1, -1):
        if any(term[i : i + n] in text for i in range(len(term) - n + 1)):
            return n
    return 0


def _best_quote(passage: Passage, text: str) -> Sentence:
    """The passage sentence sharing most characters with ``text``."""
    chars = set(text)
    return max(passage.sentences, key=lambda s: len(set(s.text) & chars))


def _clip(text: str) -> str:
    """A sentence cut to the answer budget at a clause boundary when too long."""
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS]
    at = max(cut.rfind("，"), cut.rfind("；"), cut.rfind("、"))
    return cut[: at + 1] if at > 40 else cut
