"""Follow-up questions: the last turn of a conversation resolved against the earlier ones.

A follow-up lacks parts a question needs. After ``2022年中国数字服务出口多少``,
``那进口呢`` names only a trade side, ``2021年呢`` only a year, ``北京呢`` only a
place, ``它的增速是多少`` a new measure of the same subject. The resolver works
on the analysed records (:class:`~reportqa.answer.question.Question`), by the
parts they hold, not by phrase:

- a turn is a follow-up when it refers back (a pronoun such as 它/其/该, or
  那/呢 around it) or when, its years, side and names set aside, it has no
  subject terms of its own: no word the report uses or defines a short form
  of (a measure typed in characters jieba cannot place, 占比, is no subject;
  个保法, the report's short form of 个人信息保护法, is);
- each part it states replaces the same part of the previous question: its
  years the previous years, its trade side the previous side, its first name
  the previous first name (a part the previous question lacks is put in front);
- what is left (a new measure: 增速, 占比, 排名…) is asked about the previous
  question's subject, the previous question's own asking words dropped; a
  word or two left beside a restated part (总额 after 进出口) goes with that part.

Each turn is resolved against the previous turn as resolved, so a chain of
follow-ups keeps its subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.answer.question import Question, QuestionAnalyzer

# words that point back to the previous turn; they carry no subject of their own
REFERRING = ("那么", "那个", "那些", "那", "它们", "它的", "它", "其中", "其", "该", "这个", "这些", "此")
POINTS_BACK = re.compile(r"(它|其|该|这个|这些|此)")
ASKING_TAIL = re.compile(r"(是多少|为多少|有多少|多少|是什么|是哪些|有哪些|哪些|如何|怎么样|怎样|是几|几)?[？?。！!\s]*$")
FILLER = re.compile(r"^[的呢吗啊呀\s，,、？?。！!]+|[的呢吗啊呀\s，,、？?。！!]+$")


@dataclass(frozen=True)
class Resolution:
    """The last turn as asked and as resolved."""

    asked: str
    resolved: str

    @property
    def changed(self) -> bool:
        return self.asked != self.resolved


class FollowUpResolver:
    """Resolves the last user turn against the earlier ones.

    Args:
        analyzer: the question analyser (the same record the answerer reads).
    """

    def __init__(self, analyzer: QuestionAnalyzer) -> None:
        self.analyzer = analyzer

    def resolve(self, turns: list[str]) -> Resolution:
        """The last of ``turns`` (user questions, oldest first), resolved."""
        if not turns:
            raise ValueError("no question to resolve")
        resolved = turns[0].strip()
        for turn in turns[1:]:
            resolved = self.resolve_one(resolved, turn.strip())
        return Resolution(turns[-1].strip(), resolved)

    def is_follow_up(self, q: Question) -> bool:
        """Whether ``q`` leans on the previous turn: it points back, or it has no
        subject terms (words the report uses or defines a short form of) once its
        years, side and names are set aside."""
        if POINTS_BACK.search(q.norm) or q.norm.rstrip("？?。！! ").endswith("呢"):
            return True
        return not self._subject_terms(q)

    def resolve_one(self, previous: str, turn: str) -> str:
        """``turn`` as a whole question, given the (resolved) ``previous`` one."""
        q = self.analyzer.analyze(turn)
        if not previous or not self.is_follow_up(q):
            return turn
        p = self.analyzer.analyze(previous)
        text = p.norm
        stated = False
        if q.years:
            text, stated = self._put(text, p.years[0] if p.years else None, q.years[0], "年"), True
        if q.trade_side:
            text, stated = self._put(text, p.trade_side, q.trade_side, ""), True
        if q.names:
            text, stated = self._put(text, p.names[0] if p.names else None, q.names[0], ""), True
        rest = self._rest(q)
        # beside a part it restates, a word or two (总额 after 进出口) belongs to that part
        if stated and len(ASKING_TAIL.sub("", rest)) <= 2:
            rest = ""
        if rest and not ASKING_TAIL.fullmatch(rest):
            subject = ASKING_TAIL.sub("", text).rstrip("的")
            return f"{subject}{rest}" + ("" if rest.endswith(("？", "?")) else "？")
        return text if stated else turn

    @staticmethod
    def _put(text: str, old: str | None, new: str, suffix: str) -> str:
        """``text`` with ``old`` replaced by ``new`` (first place), or ``new`` in front."""
        if old and old in text:
            return text.replace(old, new, 1)
        return f"{new}{suffix}{text}"

    def _subject_terms(self, q: Question) -> list[str]:
        sides = {"进出口", "出口", "进口"}
        return [t for t in q.terms if (t in q.known or t in q.expansions) and t not in q.names and t not in sides
                and t not in REFERRING and not any(t in name or name in t for name in q.names)]

    @staticmethod
    def _rest(q: Question) -> str:
        """What the turn says besides its years, side, names and referring words."""
        rest = q.norm
        for year in q.years:
            rest = re.sub(rf"{year}\s*年?", "", rest)
        for part in (*q.names, *([q.trade_side] if q.trade_side else [])):
            rest = rest.replace(part, "")
        for word in REFERRING:
            rest = rest.replace(word, "")
        return FILLER.sub("", rest)
