"""Tables as data: answers computed from a parsed table's cells.

A question over a table may ask for a cell (a row passage answers it), or
for something the table holds but no sentence states: the larger of two
rows and how far apart, the maximum or minimum of a column with the row
after it, a row's rank in a column, whether a figure went up or down, a
row's two sides set against each other (出口额和进口额哪个大) or the rows
where one side is above the other. :class:`TableReasoner` computes these from the
cells of :class:`~reportqa.ingest.records.Table` and states the conclusion
with the figures and the table's unit, citing the rows it used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.answer.question import MEASURE_LEN, NUMBER, TRADE_SIDES, WHICH_KINDS, YEAR, Question
from reportqa.chunking import Passage
from reportqa.ingest.records import Table
from reportqa.segment.tokenizer import normalize

RATE_COLUMN = re.compile(r"同比|增速|增长率|增幅|比重|占比")
TOTAL_ROW = re.compile(r"合计|总计|全国|合 计|全部")
UNIT = re.compile(r"单位[:：]\s*([^；;）)]+)")
# besides a rate's words (Question.rate), what asks a change (增加最多), not a level (2020—2022年…产值最低的)
GREW = re.compile(r"增加|增量|提高|上升|减少")
MIN_PIECE = 2
MAX_LOOKED_UP = 3  # rows a lookup states; a question naming more asks about the table, not its cells


@dataclass(frozen=True)
class Computed:
    """A statement computed from table cells, with the row passages it rests on;
    ``looked_up`` when it states cells read from them (not a figure derived
    from them), so that the rows themselves can follow it in an answer."""

    text: str
    rows: tuple[Passage, ...]
    looked_up: bool = False


@dataclass(frozen=True)
class Column:
    """A numeric column: its position, a self-contained label, whether it is a rate."""

    k: int
    label: str
    rate: bool
    year: str | None


def _number(cell: str) -> float | None:
    try:
        return float(cell.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def cell_value(table: Table, r: int, col: Column) -> float:
    """Row ``r``'s number in ``col`` (0 for a cell that holds none)."""
    return _number(table.rows[r].cells[col.k]) or 0.0


def columns(table: Table) -> list[Column]:
    """The table's numeric columns, a repeated name (``同比`` after ``出口``)
    labelled with the column before it (``出口同比``); a running number
    column (``序号``: 1, 2, 3 …) is left out."""
    out: list[Column] = []
    header = list(table.header)
    for k, name in enumerate(header):
        values = [_number(r.cells[k]) if k < len(r.cells) else None for r in table.rows]
        if not values or any(v is None for v in values):
            continue
        if values == [float(i) for i in range(1, len(values) + 1)]:
            continue  # a running number
        label = name
        if header.count(name) > 1 and k > 0:
            label = header[k - 1] + name
        year = YEAR.search(label)
        out.append(Column(k, label, bool(RATE_COLUMN.search(label)), year.group(1) if year else None))
    return out


def row_label(cells: tuple[str, ...]) -> str:
    """The row's name: its first cell that is not a number."""
    return next((c for c in cells if _number(c) is None), cells[0] if cells else "")


def table_unit(table: Table) -> str:
    """The unit of the table's amounts (``亿美元``), or an empty string."""
    m = UNIT.search(table.unit)
    return m.group(1).strip() if m else ""


def named_rows(labels: list[str], question: str, table_words: str = "",
               setting: frozenset[str] = frozenset()) -> list[int]:
    """Rows the question names: a row whose label shares with the question
    a piece of two characters or more that no other label has (``大连`` for
    ``大连高新技术产业园区``; ``软件园`` names none of three parks) and that is
    not a word of the table's own title or header (``产业`` of ``数字产业产值``
    names no ``…物联网产业园``), nor a word of the report's ``setting``
    unless it is the whole label (``中国`` names the row 中国, not
    中国（南京）软件谷), in the order the question names them."""
    found: list[tuple[int, int]] = []
    for r, label in enumerate(labels):
        norm = normalize(label)
        best_at = -1
        for n in range(min(len(norm), 12), MIN_PIECE - 1, -1):
            for i in range(len(norm) - n + 1):
                piece = norm[i : i + n]
                at = question.find(piece)
                if at >= 0 and piece not in table_words and (piece not in setting or piece == norm) \
                        and not any(piece in normalize(o) for j, o in enumerate(labels) if j != r):
                    best_at = at
                    break
            if best_at >= 0:
                break
        if best_at >= 0:
            found.append((best_at, r))
    return [r for _, r in sorted(found)]


def _side_of(label: str) -> str | None:
    return next((s for s in TRADE_SIDES if s in label), None)


def pick_column(cols: list[Column], question: Question, want_rate: bool, side: str | None = None) -> Column | None:
    """The column the question asks about: its trade side (进出口/出口/进口;
    ``side`` when given, else the one it names), rate or amount, and year
    (the latest it names, or of the table when it names none)."""
    sided = [c for c in cols if _side_of(c.label)]
    pool = cols
    if sided:
        side = side or question.trade_side or "进出口"
        pool = [c for c in cols if _side_of(c.label) == side] or pool
    rate_pool = [c for c in pool if c.rate == want_rate]
    pool = rate_pool or pool
    years = [c for c in pool if c.year]
    if years:
        asked = [c for c in years if c.year in question.years] or years
        latest = max(c.year for c in asked if c.year)
        pool = [c for c in asked if c.year == latest]
    return pool[0] if pool else None


def paired(cols: list[Column], col: Column) -> tuple[Column | None, Column | None]:
    """The amount column and the rate column beside it that is its change
    (出口, 出口同比), of which ``col`` is one."""
    if col.rate:
        return next((c for c in cols if not c.rate and c.k == col.k - 1), None), col
    return col, next((c for c in cols if c.rate and c.k == col.k + 1), None)


def _row_change(table: Table, cols: list[Column], r: int, col: Column) -> str:
    """A row's amount in ``col``'s side and its change, whether up or down
    (``出口额7.64亿美元，出口额增速87.51%，增长``); empty when the table (its
    numeric columns ``cols``) has no rate there."""
    amount, rate = paired(cols, col)
    if rate is None:
        return ""
    cells = table.rows[r].cells
    value = cell_value(table, r, rate)
    word = "增长" if value > 0 else "下降" if value < 0 else "持平"
    stated = f"{amount.label}{cells[amount.k]}{table_unit(table)}，" if amount is not None else ""
    return f"{stated}{rate.label}{cells[rate.k]}%，{word}"


def years_spanned(text: str) -> list[str]:
    """The years a text spans, its first to its last (a table's title
    ``2020-2022年``: 2020, 2021, 2022)."""
    found = [int(y) for y in YEAR.findall(text)]
    return [str(y) for y in range(min(found), max(found) + 1)] if found else []


def _measures(measured: str, label: str, title: str) -> bool:
    """Whether a column says what a question measures: a two-character piece
    of its last :data:`MEASURE_LEN` characters, the name's end, in the
    column's label (出口 of 数服出口额 in 2022年出口额), or its last two
    characters, its head, in the table's title (产值 of 数字产业产值)."""
    end = measured[-MEASURE_LEN:]
    return any(end[i : i + 2] in label for i in range(len(end) - 1)) or end[-2:] in title


def _uncovered(word: str, text: str) -> int:
    """How many characters of ``word`` no piece of two or more of it that
    ``text`` holds covers (海南生态软件园 in 海南: 5)."""
    covered = [False] * len(word)
    for i in range(len(word) - 1):
        for j in range(len(word), i + 1, -1):
            if word[i:j] in text:
                covered[i:j] = [True] * (j - i)
                break
    return covered.count(False)


def figure(table: Table, r: int, col: Column) -> str:
    """Row ``r``'s cell in ``col`` with its unit (``31.58亿美元``, ``87.51%``)."""
    return f"{table.rows[r].cells[col.k]}{'%' if col.rate else table_unit(table)}"


def gap(table: Table, a: tuple[int, Column], b: tuple[int, Column], word: str = "相差") -> str:
    """How far apart two cells (each a row and a column) are, to the places
    they are written to (``相差550.53亿美元``; ``相差0.84个百分点`` for rates),
    after ``word`` (增加 for how far a row grew)."""
    cells = table.rows[a[0]].cells[a[1].k], table.rows[b[0]].cells[b[1].k]
    places = max(len(c.rstrip("%").partition(".")[2]) for c in cells)
    diff = abs(cell_value(table, *a) - cell_value(table, *b))
    return f"{word}{diff:.{places}f}{'个百分点' if a[1].rate else table_unit(table)}"


class TableReasoner:
    """Computes statements over tables for a question.

    Args:
        tables: the parsed tables, each with the passages of its rows in row order.
    """

    def __init__(self, tables: list[tuple[Table, list[Passage]]]) -> None:
        self.tables = tables

    def compute(self, question: Question, table_ids: set[tuple[str, int]]) -> list[Computed]:
        """Statements for the tables whose ``(doc_id, start)`` are in ``table_ids``."""
        out: list[Computed] = []
        for table, rows in self.tables:
            if rows and (rows[0].doc_id, table.start) in table_ids:
                out += self._over(question, table, rows)
        return out

    def _over(self, question: Question, table: Table, rows: list[Passage]) -> list[Computed]:
        cols = columns(table)
        if not cols or len(rows) != len(table.rows):
            return []
        labels = [row_label(r.cells) for r in table.rows]
        words = normalize(table.title + "".join(table.header))
        named = named_rows(labels, question.norm, words)
        year_cols = [c for c in cols if c.year]
        want_rate = question.rate and not (question.asks_for("change") and year_cols)
        col = pick_column(cols, question, want_rate)
        if col is None:
            return []
        values = [cell_value(table, r, col) for r in range(len(table.rows))]
        body = [r for r in range(len(labels)) if not TOTAL_ROW.search(labels[r])]

        def fig(r: int) -> str:
            return figure(table, r, col)

        out: list[Computed] = []
        # up or down, or a rate asked of one row of a table with a rate column (印度出口涨了多少): the
        # row's amount and its change (a table of years says what it measures only in its title)
        looked_up = (question.rate and len(named) == 1 and not year_cols
                     and not {"comparison", "extreme", "rank"} & set(question.asks))
        if named and (question.asks_for("change") or looked_up):
            out += self._change(question, table, rows, named[0], col, cols)
        # a cell is looked up only in a row named by more than the report's setting (中国 names the row 中国,
        # not 中国（南京）软件谷)
        out += self._lookup(question, table, rows, labels, named_rows(labels, question.norm, words, question.setting),
                            cols, col)
        # a total (12省市合计) is no item to set against its parts, but two totals are set against each other
        items = [r for r in named if r in body] or named
        if len(items) >= 2 and (question.asks_for("comparison") or question.asks_for("extreme")):
            a, b = items[0], items[1]
            hi, lo = (a, b) if values[a] >= values[b] else (b, a)
            apart = f"，{gap(table, (hi, col), (lo, col))}" if values[hi] > values[lo] else ""
            relation = "高于" if values[hi] > values[lo] else "等于"
            if question.direction == "low" and values[hi] > values[lo]:  # 谁的少: the lower one first
                hi, lo, relation = lo, hi, "低于"
            out.append(Computed(f"{col.label}：{labels[hi]}（{fig(hi)}）{relation}{labels[lo]}（{fig(lo)}）{apart}。",
                                (rows[a], rows[b])))
        if (question.asks_for("comparison") and not question.asks_for("extreme") and len(question.trade_sides) >= 2
                and len(items) <= 1):
            out += self._sides_compared(question, table, rows, labels, items or body, cols, want_rate)
        if question.asks_for("extreme") and body:
            out += self._extreme(question, table, rows, labels, body, cols, col, values)
        if question.sign and col.rate and not named:
            out += self._by_sign(col.label, question.sign, [(labels[r], fig(r), rows[r], values[r]) for r in body])
        order = sorted(body, key=lambda i: -values[i])  # the column's ranking, highest first
        if question.asks_for("rank") and question.rank_at and not set(named) & set(body) and question.rank_at <= len(body):
            r = order[question.rank_at - 1]
            out.append(Computed(f"{col.label}排第{question.rank_at}的是{labels[r]}（{fig(r)}）"
                                f"（表中{len(body)}个，第一为{labels[order[0]]}，{fig(order[0])}）。",
                                (rows[r], rows[order[0]])))
        if question.asks_for("rank") and named and named[0] in body:
            r = named[0]
            also = "".join(f"，{c.label}{figure(table, r, c)}" for c in self._beside(cols, col, question))
            first = f"（第一为{labels[order[0]]}，{fig(order[0])}）" if order[0] != r else ""
            out.append(Computed(f"{labels[r]}{col.label}{fig(r)}{also}，在表中{len(body)}个中排第{order.index(r) + 1}位"
                                f"{first}。", tuple(dict.fromkeys((rows[r], rows[order[0]])))))
        return out

    @staticmethod
    def _lookup(question: Question, table: Table, rows: list[Passage], labels: list[str], named: list[int],
                cols: list[Column], col: Column) -> list[Computed]:
        """The cells an amount asked of the rows a question names reads
        (德国22年数服进口多少 → 德国：进口2230.88亿美元), for each row named (at
        most :data:`MAX_LOOKED_UP`) one per trade side it names, else the column
        it picked. None when it asks a figure set against others (a change,
        comparison, rank or superlative) or of a pair (中国对美国的出口), counts a thing (多少家企业), names a
        year the table has no column or title for, a name or word the table
        does not hold in its title, unit, header or rows (韩国, 跨境电商), or measures what neither the column nor
        the title says (大连高新区数字产业产值 of a table of trade)."""
        if (not 0 < len(named) <= MAX_LOOKED_UP or question.rate or question.counted
                or question.partner is not None  # 中国对美国的出口: the pair's flow, which no row gives
                or not {"money", "quantity"} & set(question.asks)
                or {"change", "comparison", "extreme", "rank"} & set(question.asks)):
            return []
        years = {c.year for c in cols if c.year} | set(years_spanned(table.title))
        if question.years and not years & set(question.years):
            return []
        words = normalize(table.title + table.unit + "".join(table.header) + "".join(labels[r] for r in named))
        if not all(_uncovered(n, words) <= 1 for n in question.names) or not all(
                any(_uncovered(f, words) <= len(f) / 3 for f in (t, *question.expansions.get(t, ())))
                for t in question.terms if not NUMBER.fullmatch(t)):
            return []  # a name or word the table does not hold (韩国, 跨境电商): the table is about something else
        picked = [pick_column(cols, question, False, side) for side in question.trade_sides]
        chosen = list({c.k: c for c in (*(p for p in picked if p is not None), col)}.values())
        # each year asked of a table of years (2020年…到2022年呢): the same measure's column of each
        span = years_spanned(" ".join(question.years))  # 2020年至2022年: each year from the first to the last
        years_asked = [o for c in chosen if c.year for y in span for o in cols if o.label == c.label.replace(c.year, y)]
        chosen = sorted({c.k: c for c in (*chosen, *years_asked)}.values(), key=lambda c: c.k)  # in table order
        if question.measured and not any(_measures(m, c.label, table.title) for m in question.measured for c in chosen):
            return []
        stated = "；".join(f"{labels[r]}：{'，'.join(c.label + figure(table, r, c) for c in chosen)}" for r in named)
        return [Computed(f"{stated}。", tuple(rows[r] for r in named), looked_up=True)]

    def _extreme(self, question: Question, table: Table, rows: list[Passage], labels: list[str], body: list[int],
                 cols: list[Column], col: Column, values: list[float]) -> list[Computed]:
        """The highest (lowest) row of ``col`` (whose cells read ``values``),
        with the one after it (其次) and how far apart; the first ``top_n``; or,
        for a table of years asked a change between two years, the row that
        grew most (least) between them."""
        low = question.direction == "low" or (question.falling and col.rate)
        word = "最低" if low else "最高"
        year_cols = [c for c in cols if c.year]
        if year_cols and len(question.years) >= 2 and not col.rate and (question.rate or GREW.search(question.norm)):
            return self._extreme_change(question, table, rows, labels, body, year_cols, table_unit(table), low)
        top = sorted(body, key=lambda r: values[r], reverse=not low)[: max(question.top_n, 2)]
        if question.top_n > 1:
            listed = "、".join(f"{labels[r]}（{figure(table, r, col)}）" for r in top)
            return [Computed(f"{col.label}{word}的{len(top)}个是{listed}。", tuple(rows[r] for r in top))]
        also = "".join(f"；{c.label}{figure(table, top[0], c)}" for c in self._beside(cols, col, question))
        then = (f"，其次是{labels[top[1]]}（{figure(table, top[1], col)}，{gap(table, (top[0], col), (top[1], col))}）"
                if len(top) > 1 else "")
        return [Computed(f"{col.label}{word}的是{labels[top[0]]}（{figure(table, top[0], col)}{also}）{then}。",
                         tuple(rows[r] for r in top))]

    @staticmethod
    def _sides_compared(question: Question, table: Table, rows: list[Passage], labels: list[str], items: list[int],
                        cols: list[Column], want_rate: bool) -> list[Computed]:
        """The first two sides the question names set against each other: in
        the one row it names (上海出口额和进口额哪个大: which is higher, how far
        apart), or, naming none, the rows where the first side is higher
        (lower, asked so) than the second (哪些省市进口额比出口额大)."""
        first, second = (pick_column(cols, question, want_rate, side) for side in question.trade_sides[:2])
        if first is None or second is None or first.k == second.k:
            return []

        if len(items) == 1:
            r = items[0]
            hi, lo = (first, second) if cell_value(table, r, first) >= cell_value(table, r, second) else (second, first)
            said = f"{hi.label}（{figure(table, r, hi)}）"
            if cell_value(table, r, hi) == cell_value(table, r, lo):
                return [Computed(f"{labels[r]}：{said}等于{lo.label}（{figure(table, r, lo)}）。", (rows[r],))]
            return [Computed(f"{labels[r]}：{said}高于{lo.label}（{figure(table, r, lo)}），"
                             f"{gap(table, (r, hi), (r, lo))}。", (rows[r],))]
        if not any(question.asks_for(kind) for kind in WHICH_KINDS):
            return []
        sign = -1 if question.direction == "low" else 1
        kept = [r for r in items if (cell_value(table, r, first) - cell_value(table, r, second)) * sign > 0]
        word = "低于" if sign < 0 else "高于"
        if not kept:  # none: said with the row nearest to it
            r = max(items, key=lambda r: (cell_value(table, r, first) - cell_value(table, r, second)) * sign)
            return [Computed(f"没有{first.label}{word}{second.label}的（表中{len(items)}个，最接近的是{labels[r]}："
                             f"{first.label}{figure(table, r, first)}，{second.label}{figure(table, r, second)}）。", (rows[r],))]
        listed = "、".join(f"{labels[r]}（{first.label}{figure(table, r, first)}，{second.label}{figure(table, r, second)}）"
                           for r in kept)
        return [Computed(f"{first.label}{word}{second.label}的是{listed}（表中{len(items)}个）。",
                         tuple(rows[r] for r in kept))]

    @staticmethod
    def _beside(cols: list[Column], col: Column, question: Question) -> list[Column]:
        """Columns to state beside ``col``'s figure of a row: its pair, the
        amount a rate is the change of or the change of an amount (印度出口同比
        25.93% with 出口2354.18亿美元), then the other sides the question names
        (出口增速最高的 … 进口呢: the 进口 rate too)."""
        out = {c.k: c for c in paired(cols, col) if c is not None}
        out |= {c.k: c for side in question.trade_sides if (c := pick_column(cols, question, col.rate, side)) is not None}
        out.pop(col.k, None)
        return list(out.values())

    @staticmethod
    def _by_sign(label: str, sign: int, items: list[tuple[str, str, Passage, float]]) -> list[Computed]:
        """Which rows fell (``sign`` -1) or grew (1), a filter by sign: of
        ``items`` (each row's name, figure, passage and value in the rate
        column ``label``), those with that sign; when none has, that said
        with the row nearest to it (the lowest when asked which fell)."""
        if not items:
            return []
        word = "为负" if sign < 0 else "为正"
        kept = [(name, figure, row) for name, figure, row, value in items if value * sign > 0]
        if not kept:
            name, figure, row, _ = min(items, key=lambda item: item[3] * -sign)
            return [Computed(f"{label}没有{word}的（表中{len(items)}个，{'最低' if sign < 0 else '最高'}为{name}，"
                             f"{figure}）。", (row,))]
        listed = "、".join(f"{name}（{figure}）" for name, figure, _ in kept)
        return [Computed(f"{label}{word}的是{listed}，共{len(kept)}个（表中{len(items)}个）。",
                         tuple(row for _, _, row in kept))]

    @staticmethod
    def _change(question: Question, table: Table, rows: list[Passage], r: int, col: Column,
                cols: list[Column]) -> list[Computed]:
        year_cols = [c for c in cols if c.year]
        label = row_label(table.rows[r].cells)
        if year_cols:
            measure = col.label.replace(col.year or "", "")
            same = sorted((c for c in year_cols if c.label.replace(c.year or "", "") == measure and c.year),
                          key=lambda c: c.year or "", reverse=True)
            asked = [c for c in same if c.year in question.years]
            pair = (asked if len(asked) >= 2 else same)[:2]
            if len(pair) < 2:
                return []
            new, old = pair[0], pair[1]
            v_new, v_old = cell_value(table, r, new), cell_value(table, r, old)
            word = "上升" if v_new > v_old else "下降" if v_new < v_old else "持平"
            unit = table_unit(table)
            text = (f"{label}{new.label}{table.rows[r].cells[new.k]}{unit}，{old.label}"
                    f"{table.rows[r].cells[old.k]}{unit}，{word}。")
            return [Computed(text, (rows[r],))]
        # each side it asks (出口和进口各涨了多少: both), else the column it picked
        picked = [pick_column(cols, question, col.rate, side) for side in question.trade_sides]
        chosen = {c.k: c for c in (*(p for p in picked if p is not None), col)}  # in the order asked
        clauses = [text for text in (_row_change(table, cols, r, c) for c in chosen.values()) if text]
        if not clauses:
            return []
        return [Computed(f"{label}{'；'.join(dict.fromkeys(clauses))}。", (rows[r],))]

    @staticmethod
    def _extreme_change(question: Question, table: Table, rows: list[Passage], labels: list[str],
                        body: list[int], year_cols: list[Column], unit: str, low: bool) -> list[Computed]:
        asked = sorted((c for c in year_cols if c.year in question.years), key=lambda c: c.year or "")
        if len(asked) < 2:
            return []
        old, new = asked[0], asked[-1]

        def diff(r: int) -> float:
            return cell_value(table, r, new) - cell_value(table, r, old)

        pick = min(body, key=diff) if low else max(body, key=diff)
        word = "增加最少" if low else "增加最多"
        cells = table.rows[pick].cells
        moved = gap(table, (pick, new), (pick, old), "增加" if diff(pick) >= 0 else "减少")
        text = (f"{old.label}到{new.label}{word}的是{labels[pick]}：{old.label}{cells[old.k]}{unit}，"
                f"{new.label}{cells[new.k]}{unit}，{moved}。")
        return [Computed(text, (rows[pick],))]
