"""Aliases mined from the reports themselves, at index time.

Reports define their short forms: ``国家数字服务出口基地（以下简称“基地”）``,
``世界贸易组织（WTO）``, ``浦东软件园（以下简称：“浦软”）``, and a short form
in brackets made of the name's own characters in order
(``全球数字贸易博览会（数贸会）``; ``杭州高新区（滨江）`` is a gloss). Those pairs are
read from the passages; so are the names the report writes in 《》 or “”,
against which an abbreviation a reader types (``个保法`` for
``个人信息保护法``) is matched as an in-order subsequence at query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from reportqa.segment import Tokenizer
from reportqa.segment.tokenizer import normalize

# on normalised text: NFKC makes （）： into ():
DEFINED = re.compile(r"\((?:以下)?简称:?\s*[“\"]?([^”\")]{1,12})[”\"]?\)")
LATIN = re.compile(r"\(([a-z][a-z0-9\-]{1,11})\)")
# a Chinese short form in brackets after the name it shortens: 全球数字贸易博览会（数贸会）
SHORTENED = re.compile(r"\(([\u4e00-\u9fff]{2,5})\)")
QUOTED_END = re.compile(r"[《“]([^《》“”]{2,30})[》”]$")  # 《区域全面经济伙伴关系协定》（RCEP）
NAMED = re.compile(r"[《“]([\u4e00-\u9fffA-Za-z0-9]{4,30})[》”]")
# parts of speech that end a name when walking back from its bracket
NOT_NAME = ("v", "u", "p", "c", "m", "r", "d", "x", "y", "f", "q", "t", "i", "l")
NAME_WORDS = ("vn",)  # a verbal noun is a noun (进口 in 中国国际进口博览会)
NUMERALS = re.compile(r"[一二两三四五六七八九十百千]+")  # 二十 of 二十国集团; digits end a name (12家…)
MAX_NAME = 24
HEAD = 2  # a name's head: its last word, where a short form's last character comes from (保护法, 博览会)


@dataclass(frozen=True)
class Aliases:
    """Short forms and names of a corpus.

    Attributes:
        pairs: a form → the forms the report equates with it (both ways).
        names: names the report writes in 《》 or “”, for abbreviations.
    """

    pairs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: tuple[str, ...] = ()

    def expand(self, word: str) -> tuple[str, ...]:
        """The long forms of ``word``: defined aliases first, else the names
        whose characters contain ``word``'s in order, starting with its first
        and ending in the name's head, its last two characters (``个保法`` →
        ``个人信息保护法``; a short form keeps the head: ``数贸`` is no
        abbreviation of ``数字贸易通用术语``); empty when none or too many match."""
        if word in self.pairs:
            return self.pairs[word]
        if not 2 <= len(word) <= 5 or word.isascii() or word in self.names:
            return ()
        found = [n for n in self.names if n != word and n[0] == word[0] and word[-1] in n[-HEAD:]
                 and len(n) <= 4 * len(word) and word not in n and _subsequence(word, n)]
        return tuple(found) if 1 <= len(found) <= 2 else ()

    @classmethod
    def merge(cls, parts: list[Aliases]) -> Aliases:
        """The aliases of several reports together (first report's order first)."""
        if len(parts) == 1:
            return parts[0]
        pairs: dict[str, dict[str, None]] = {}
        names: dict[str, None] = {}
        for part in parts:
            for key, forms in part.pairs.items():
                pairs.setdefault(key, {}).update(dict.fromkeys(forms))
            names.update(dict.fromkeys(part.names))
        return cls({k: tuple(v) for k, v in pairs.items()}, tuple(names))

    def to_json(self) -> dict[str, object]:
        """The manifest form."""
        return {"pairs": {k: list(v) for k, v in sorted(self.pairs.items())}, "names": list(self.names)}

    @classmethod
    def from_json(cls, data: object) -> Aliases:
        """Inverse of :meth:`to_json`; an absent or malformed entry gives no aliases."""
        if not isinstance(data, dict):
            return cls()
        pairs = data.get("pairs", {})
        names = data.get("names", [])
        if not isinstance(pairs, dict) or not isinstance(names, list):
            return cls()
        return cls({str(k): tuple(str(x) for x in v) for k, v in pairs.items() if isinstance(v, list)},
                   tuple(str(n) for n in names))


def _subsequence(short: str, long: str) -> bool:
    """Whether ``short``'s characters occur in ``long`` in order."""
    it = iter(long)
    return all(c in it for c in short)


def name_before(text: str, tokenizer: Tokenizer) -> str:
    """The name that ends ``text``: its trailing words up to the first verb,
    particle, number or punctuation (``…联合认定了12家国家数字服务出口基地``
    → ``国家数字服务出口基地``); a footnote digit at the end is dropped."""
    text = re.sub(r"\d+$", "", text[-MAX_NAME * 2 :])
    quoted = QUOTED_END.search(text)
    if quoted:  # a title in 《》 or “” is a name whole
        return quoted.group(1) if len(quoted.group(1)) <= MAX_NAME else ""
    words = tokenizer.tagged(text)
    kept: list[tuple[str, str]] = []
    for word, flag in reversed(words):
        if flag == "m" and NUMERALS.fullmatch(word) and kept:
            kept.append((word, flag))
            continue
        if (flag.startswith(NOT_NAME) and flag not in NAME_WORDS) or not re.search(r"[\u4e00-\u9fffA-Za-z]", word):
            break
        kept.append((word, flag))
    while kept and len(kept[-1][0]) == 1 and not kept[-1][1].startswith(("n", "m")):
        kept.pop()  # a name starts with no lone modifier (做大做强全球数字贸易博览会: not 强全球…)
    name = "".join(word for word, _ in reversed(kept))
    # the tagger drops punctuation, so the words may join across a quote mark (“一网通”国际…):
    # only a name that stands in the text as one run counts
    return name if name and name in normalize(text) and len(name) <= MAX_NAME else ""


def mine_aliases(texts: Iterable[str], tokenizer: Tokenizer) -> Aliases:
    """Read the short forms and names that ``texts`` define."""
    pairs: dict[str, dict[str, None]] = {}

    def pair(a: str, b: str) -> None:
        # a name cut short by the walk back (中心 for 开放创新中心) is no alias
        if a and b and a != b and len(b) >= (4 if a.isascii() else 2):
            pairs.setdefault(a, {})[b] = None
            pairs.setdefault(b, {})[a] = None

    names: dict[str, None] = {}
    for text in texts:
        norm = normalize(text)
        for pattern in (DEFINED, LATIN):
            for m in pattern.finditer(norm):
                pair(m.group(1).strip(), name_before(norm[: m.start()], tokenizer))
        for m in SHORTENED.finditer(norm):
            short, name = m.group(1), name_before(norm[: m.start()], tokenizer)
            # a gloss is no short form (杭州高新区（滨江）): its characters must be the name's, in order
            if len(name) > len(short) and short not in name and _subsequence(short, name):
                pair(short, name)
        for m in NAMED.finditer(norm):
            names[m.group(1)] = None
    return Aliases({k: tuple(v) for k, v in pairs.items()}, tuple(names))
