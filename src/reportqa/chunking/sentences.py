"""Sentence splitting that respects quotations, brackets and numbers."""

from __future__ import annotations

ENDS = "。！？；"
OPEN = "“《（(「『【"
CLOSE = "”》）)」』】"
TRAILING = "”’」』）)"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split Chinese text at 。！？； outside quotations and brackets.

    A closing quotation mark right after the stop stays with its sentence.

    Returns:
        ``(start, end)`` index pairs into ``text``, covering every non-space
        character once.
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in OPEN:
            depth += 1
        elif char in CLOSE:
            depth = max(0, depth - 1)
        elif char in ENDS and depth == 0:
            end = i + 1
            while end < len(text) and text[end] in TRAILING:
                end += 1
            spans.append((start, end))
            start = end
            i = end
            continue
        i += 1
    if text[start:].strip():
        spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        if s < e:
            out.append((s, e))
    return out
