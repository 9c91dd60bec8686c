"""Tables of a text extraction: flattened cell lines read back into a header and rows."""

from __future__ import annotations

import re
from collections import Counter

from reportqa.ingest.lines import Line
from reportqa.ingest.normalize import clean_pieces
from reportqa.ingest.records import TableRow

NUMBER = re.compile(r"^-?\d+(?:\.\d+)?%?$")
CELL_STOPS = re.compile(r"[，。；、]")


def _join_tokens(tokens: list[str]) -> str:
    out = ""
    for token in tokens:
        if out and out[-1].isascii() and out[-1].isalnum() and token[:1].isascii() and token[:1].isalnum():
            out += " "
        out += token
    return out


class TableReader:
    """Reads the flattened lines of one table body into a header and rows.

    A numeric table has label cells then a fixed number of numeric cells per
    row; the number is the most common count of trailing numbers on a line.
    Row labels may run over several lines, and a number broken across a line
    break (``10478.3`` / ``1``) is rejoined when a row has too many numbers.
    A table with no numeric rows is read as a text table whose cells are
    groups of lines separated by blank lines.
    """

    def read(self, body: list[Line]) -> tuple[tuple[str, ...], tuple[TableRow, ...]]:
        """Return the header cells and the rows."""
        if not body:
            return (), ()
        first = body[0].text.split()
        body = [body[0]] + [ln for ln in body[1:] if ln.text.split() != first]
        trailing = [
            self._trailing(ln.text.split()) for ln in body
            if 2 <= self._trailing(ln.text.split()) < len(ln.text.split())
        ]
        if trailing:
            width = Counter(trailing).most_common(1)[0][0]
            return self._numeric(body, width)
        return self._text(body)

    @staticmethod
    def _trailing(tokens: list[str]) -> int:
        n = 0
        for token in reversed(tokens):
            if not NUMBER.match(token):
                break
            n += 1
        return n

    def _numeric(self, body: list[Line], width: int) -> tuple[tuple[str, ...], tuple[TableRow, ...]]:
        first_data = next(
            k for k, ln in enumerate(body) if any(NUMBER.match(t) for t in ln.text.split())
        )
        # The header ends once it names a label column and every value column;
        # lines after it and before the first number are the first row's label.
        header_end = first_data
        for k in range(first_data):
            if len(self._header(body[: k + 1], width)) > width:
                header_end = k + 1
                break
        header = self._header(body[:header_end], width)
        first_data = header_end
        labels = max(1, len(header) - width)
        rows: list[TableRow] = []
        tokens: list[tuple[str, int]] = []
        row_lines: list[Line] = []
        for k, line in enumerate(body[first_data:]):
            row_lines.append(line)
            tokens.extend((t, k) for t in line.text.split())
            values = self._trailing([t for t, _ in tokens])
            if values < width or values == len(tokens):
                continue
            while values > width:
                merged = self._merge_split(tokens, len(tokens) - values)
                if not merged:
                    break
                values -= 1
            label_tokens = [t for t, _ in tokens[: len(tokens) - values]]
            value_tokens = [t for t, _ in tokens[len(tokens) - values :]]
            head = label_tokens[: labels - 1]
            rest = _join_tokens(label_tokens[labels - 1 :])
            cells = (*head, rest, *value_tokens)
            rows.append(TableRow(tuple(cells), row_lines[0].start, row_lines[-1].end))
            tokens, row_lines = [], []
        return header, tuple(rows)

    @staticmethod
    def _merge_split(tokens: list[tuple[str, int]], first_value: int) -> bool:
        """Join a number broken across a line break: the last token of one line
        and the first token of the next."""
        for k in range(first_value, len(tokens) - 1):
            (a, line_a), (b, line_b) = tokens[k], tokens[k + 1]
            if line_a != line_b and NUMBER.match(a + b):
                tokens[k : k + 2] = [(a + b, line_b)]
                return True
        return False

    @staticmethod
    def _header(lines: list[Line], width: int) -> tuple[str, ...]:
        rows: list[list[str]] = []
        for line in lines:
            tokens = line.text.split()
            if rows and len(tokens) == 1 and len(tokens[0]) <= 2:
                # a header cell broken across lines (进出口 / 额)
                rows[-1][-1] += tokens[0]
            else:
                rows.append(tokens)
        for k in range(len(rows) - 1, 0, -1):
            leaf, group = rows[k], rows[k - 1]
            if len(leaf) == width and len(group) < width and width % len(group) == 0:
                span = width // len(group)
                grouped = [group[j // span] + leaf[j] for j in range(width)]
                labels = [t for r in rows[: k - 1] for t in r]
                return (*labels, *grouped)
        return tuple(t for r in rows for t in r)

    @staticmethod
    def _text(body: list[Line]) -> tuple[tuple[str, ...], tuple[TableRow, ...]]:
        header = tuple(body[0].text.split())
        groups: list[list[Line]] = []
        for line in body[1:]:
            if line.blank_before or not groups:
                groups.append([line])
            else:
                groups[-1].append(line)
        rows: list[TableRow] = []
        cells: list[list[Line]] = []

        def flush() -> None:
            if cells:
                texts = tuple(clean_pieces((ln.text, ln.start) for ln in cell)[0] for cell in cells)
                rows.append(TableRow(texts, cells[0][0].start, cells[-1][-1].end))

        for group in groups:
            if not cells or len(cells) >= len(header):
                flush()
                cells = []
                name = 0
                while name < len(group) and not CELL_STOPS.search(group[name].text):
                    name += 1
                name = max(name, 1)
                cells.append(group[:name])
                if group[name:]:
                    cells.append(group[name:])
            else:
                cells.append(group)
        flush()
        return header, tuple(rows)
