"""Rejoins hard-wrapped PDF lines into display text, keeping an offset per character.

A PDF extraction puts spaces around numbers (``2022 年``, ``3727.1 亿美元``) and
breaks lines every ~25 characters. Display text joins the lines and drops those
spaces, while each kept character remembers its offset in the corpus file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z]")


def is_cjk(char: str) -> bool:
    """True for a CJK ideograph."""
    return bool(CJK.match(char))


def display_width(text: str) -> float:
    """Width of a line in ems: wide characters 1, narrow ones 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text.strip())


def _keep_space(before: str, after: str) -> bool:
    # A space between two ideographs (《中共中央 国务院…》) or two Latin words
    # (RCEP CPTPP), or two numbers (图 1 2012…) is meaningful; around digits and between scripts it is an
    # artefact of the PDF layout.
    if is_cjk(before) and is_cjk(after):
        return True
    if before.isdigit() and after.isdigit():
        return True
    return bool(ASCII_WORD.match(before) and ASCII_WORD.match(after))


def clean_pieces(
    pieces: Iterable[tuple[str, int]], drop: frozenset[int] = frozenset()
) -> tuple[str, tuple[int, ...]]:
    """Join line pieces into display text.

    Args:
        pieces: ``(text, offset)`` pairs, one per source line, in order.
        drop: corpus offsets of characters to leave out (footnote markers).

    Returns:
        The display text and, for each of its characters, its corpus offset.
    """
    chars: list[tuple[str, int]] = []
    for text, offset in pieces:
        for i, char in enumerate(text):
            if offset + i not in drop:
                chars.append((char, offset + i))
    out: list[tuple[str, int]] = []
    for i, (char, offset) in enumerate(chars):
        if char.isspace():
            before = out[-1][0] if out else ""
            after = next((c for c, _ in chars[i + 1 :] if not c.isspace()), "")
            if not before or not after or before.isspace() or not _keep_space(before, after):
                continue
            char = " "
        out.append((char, offset))
    return "".join(c for c, _ in out), tuple(o for _, o in out)


def clean_heading(text: str) -> str:
    """Display form of a heading: letter-spaced titles (``前 言``) are closed up."""
    tokens = text.split()
    if len(tokens) > 1 and all(len(t) == 1 for t in tokens):
        return "".join(tokens)
    return clean_pieces([(text, 0)])[0]


def spans_of(offsets: tuple[int, ...], text: str) -> tuple[tuple[int, int], ...]:
    """Group character offsets into maximal spans of the corpus ``text``.

    Two neighbouring characters stay in one span when only whitespace lies
    between them in the corpus.
    """
    if not offsets:
        return ()
    spans: list[tuple[int, int]] = []
    start = prev = offsets[0]
    for offset in offsets[1:]:
        if text[prev + 1 : offset].strip():
            spans.append((start, prev + 1))
            start = offset
        prev = offset
    spans.append((start, prev + 1))
    return tuple(spans)


def strip_control(text: str) -> str:
    """User input with control characters removed and the ends trimmed."""
    return "".join(ch for ch in text if ch.isprintable() or ch == " ").strip()
