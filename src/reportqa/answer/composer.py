"""The answer path: question → :class:`Question` → candidates → scores →
answer or reasoned abstention.

1. :class:`~reportqa.answer.question.QuestionAnalyzer` reads the question once.
2. Retrieval takes the question's one vector (one model forward) and its
   search text (with the long forms of abbreviations the report defines).
3. Candidates: every sentence of the retrieved passages, every retrieved
   table row, and statements computed from the retrieved tables
   (:class:`~reportqa.answer.tables.TableReasoner`).
4. The fitted candidate model scores them (:mod:`reportqa.answer.reader`).
5. The answer is the best candidate, with sentences that add key terms it
   lacks, a numbered list's items, or one piece per side of a comparison.
6. The fitted abstention model decides whether the answer answers the
   question; when it does not, the answer says why (``abstain_reason``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np

from reportqa.answer.followup import FollowUpResolver, Resolution
from reportqa.answer.prose import CLAUSE, ProseComparer
from reportqa.answer.question import NUMBER, Question, QuestionAnalyzer
from reportqa.answer.reader import (
    ANSWER_FEATURES,
    CANDIDATE_FEATURES,
    OWN_FEATURES,
    SUBJECT_FLAGS,
    ReaderModels,
    asked_found,
    counted_found,
    coverage,
    figure_lead,
    goes_on,
    load_models,
    month_found,
    names_found,
    ordinal_found,
    part_found,
    partner_found,
    rank_found,
    row_named,
    scope_found,
    share_found,
    side_found,
    subject_found,
    type_verdicts,
    typed_share,
    with_gaps,
    years_found,
)
from reportqa.answer.tables import Computed, TableReasoner
from reportqa.chunking import Passage, Sentence
from reportqa.ingest.records import Table
from reportqa.retrieval import MODES, Hit, Retriever
from reportqa.segment.tokenizer import normalize

ABSTAIN_TEXT = "报告中没有找到相关信息"
MAX_CHARS = 200
# an asked part is answered by a sentence that fits it at least this well (part_found); for a part
# the chosen sentences leave unanswered, the first that does and scores at least this share of the
# best candidate (the best answers the other part) is added
PART_FIT = 0.5
PART_SHARE = 0.25
KIND_WORDS = {
    "day": "a day", "date": "a date", "quantity": "a quantity", "money": "an amount of money",
    "rate": "a rate of change", "list": "a list of items", "definition": "a definition",
    "rank": "a rank", "comparison": "figures to compare", "extreme": "a ranking", "month": "a month",
    "person": "a person", "place": "a place", "who": "a person or organisation",
}


# the checks an abstention can be explained by, and the features that carry each
REASON_OF = {
    "typed": "typed", "names": "names", "context_names": "names", "lead_up_names": "names", "asked_names": "names",
    "numbers": "numbers", "years": "years", "context_years": "years", "side": "side",
    "missing_weight": "unknown", "coverage": "terms", "context_coverage": "terms", "max_missing": "terms",
    "absent": "absent", "month": "month", "ordinal": "ordinal", "rank": "rank", "scope": "scope",
    "counted": "counted", "measured": "measured",
}


@dataclass(frozen=True)
class Citation:
    """A cited passage and the sentence quoted from it."""

    n: int
    passage: Passage
    quote: str
    quote_start: int
    quote_end: int
    title: str = ""  # of the report the passage is from


@dataclass(frozen=True)
class Answer:
    """A composed answer with its citations, its support and, when it
    abstains, the reason (``no retrieved passage states a date``)."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    support: float
    see_also: tuple[Passage, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    abstain_reason: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A possible answer piece: a sentence, a table row or a computed statement.

    ``passages`` are what it cites (a computed statement cites its rows);
    ``features`` follow :data:`~reportqa.answer.reader.CANDIDATE_FEATURES`.
    """

    text: str
    sentence: Sentence
    sentence_index: int | None
    passages: tuple[Passage, ...]
    rank: int
    covered: frozenset[str]
    features: np.ndarray
    kind: str
    score: float = 0.0
    looked_up: bool = False

    @property
    def passage(self) -> Passage:
        """The first cited passage."""
        return self.passages[0]


@dataclass(frozen=True)
class Piece:
    """One part of a composed answer: its text and the passages it cites."""

    text: str
    sentence: Sentence
    passages: tuple[Passage, ...]
    computed: bool = False


@dataclass(frozen=True)
class ComposerConfig:
    """How much evidence to read and compose.

    ``abstain_threshold`` overrides the fitted threshold of the abstention
    model when set (``REPORTQA_ABSTAIN_THRESHOLD``).
    """

    top_k: int = 8
    max_sentences: int = 3
    abstain_threshold: float | None = None
    generator_passages: int = 5
    extra_sentences: int = 12  # candidates searched for sentences adding key terms


@dataclass(frozen=True)
class Decision:
    """The abstention model's verdict on an answer."""

    support: float
    answer: bool
    reason: str | None
    features: np.ndarray


class Answerer:
    """Answers questions from retrieval over the report.

    Args:
        retriever: the loaded retriever (its embedder gives the one forward).
        config: how much evidence to read; an optional threshold override.
        generator: an optional writer of answers from numbered passages; its
            output must pass the citation and number checks, else the
            extractive answer is returned.
        tables: ``(doc_id, table)`` for every parsed table, for computed answers.
        models: the fitted reader models (``reader.json`` by default).
    """

    def __init__(self, retriever: Retriever, config: ComposerConfig | None = None,
                 generator: object | None = None, models: ReaderModels | None = None) -> None:
        self.retriever = retriever
        self.config = config or ComposerConfig()
        self.generator = generator
        self.models = models or load_models()
        self.holdings = retriever.index.holdings
        terms = retriever.index.terms
        self.analyzer = QuestionAnalyzer(retriever.tokenizer, terms.vocab, terms.idf, retriever.index.aliases,
                                         terms.runs)
        self.followups = FollowUpResolver(self.analyzer)
        self.comparer = ProseComparer()
        self._subjects: dict[str, tuple[str | None, bool]] = {}  # a report sentence's subject (bounded by the report)

    def table_of(self, passage: Passage) -> tuple[tuple[str, int], Table, list[int]] | None:
        """The parsed table a table or row passage belongs to: its key
        ``(doc_id, start)``, the table and its rows' positions."""
        found = self.retriever.table_of(passage)
        return None if found is None else ((passage.doc_id, found[0].start), *found)

    @property
    def threshold(self) -> float:
        """The abstention threshold in force."""
        t = self.config.abstain_threshold
        return self.models.threshold if t is None else t

    def warm_up(self) -> None:
        """Load what the first question would otherwise load (the part-of-speech
        tagger's dictionary, the model's first forward), so no request pays for it."""
        self.analyzer.analyze("数字贸易是什么")
        self.retriever.encode("数字贸易")

    def analyze(self, question: str) -> Question:
        """The question read once (see :class:`QuestionAnalyzer`)."""
        return self.analyzer.analyze(question)

    # -- candidates ------------------------------------------------------------
    def candidates(self, question: Question, vector: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        """Every sentence, table row and computed statement of the hits,
        scored by the candidate model, best first."""
        holdings = self.holdings
        seen: set[int] = set()
        out: list[Candidate] = []
        tables: dict[tuple[str, int], tuple[Table, list[int]]] = {}
        read = [h for h in hits if h.passage.kind != "table"]  # a whole table is no sentence: its rows answer
        positions = [self.retriever.position(h.passage.id) for h in read]
        assert None not in positions, "a hit's passage is in the index"
        members = holdings.members(positions)  # type: ignore[arg-type]
        every = sorted({s for ms in members for s in ms})
        sentences = dict(zip(every, holdings.sentences(every), strict=True))
        sims = dict(zip(every, (holdings.sentence_vectors(every) @ vector).tolist(), strict=True))
        for hit in hits:
            found = self.table_of(hit.passage)
            if found is not None:
                tables[found[0]] = found[1:]
        for hit, position, ms in zip(read, positions, members, strict=True):
            passage = hit.passage
            context = " ".join(passage.section_path) + passage.text
            ctx = (coverage(question, context)[0], names_found(question, context),
                   years_found(question, context))
            # from the index vectors, so that it is the same whichever mode retrieved the passage
            passage_sim = self.retriever.dense_score(vector, position)  # type: ignore[arg-type]
            for s in ms:
                if s in seen:
                    continue
                seen.add(s)
                sentence = sentences[s]
                after = sentences.get(s + 1)  # a lead's numbered run, when its passage holds it
                before = sentences[s - 1].text if s - 1 in ms else ""  # what a 其中 sentence goes on with
                out.append(self._candidate(question, sentence.text, sentence, s, (passage,), hit.rank,
                                           sims[s], passage_sim, ctx,
                                           "row" if passage.kind == "table_row" else "sentence",
                                           run=after.text if after is not None and _ordinal(after.text) == 1 else "",
                                           topic=before))
        if question.table is not None:  # the table the question names is the one to compute over
            named = {(doc_id, table.start): (table, rows) for doc_id in dict.fromkeys(h.passage.doc_id for h in hits)
                     for table, rows in holdings.tables(doc_id) if table.number == question.table}
            tables = named or tables
        ranges = self.retriever.index.ranges  # the tables in report order, as the reasoner reads them
        paired = [(table, holdings.passages(rows)) for (doc_id, start), (table, rows)
                  in sorted(tables.items(), key=lambda kv: (ranges[kv[0][0]][0], kv[0][1]))]
        for computed in TableReasoner(paired).compute(question, set(tables)):
            out.append(self._computed(question, computed, vector, hits))
        features = with_gaps(np.array([c.features for c in out]))
        scores = self.models.candidate.probabilities(features).tolist() if len(out) else []
        scored = [replace(c, features=f, score=p) for c, f, p in zip(out, features, scores, strict=True)]
        scored.sort(key=lambda c: -c.score)
        return scored

    def _typed(self, question: Question, text: str, tagged: list[tuple[str, str]] | None, kind: str,
               run: str = "") -> float:
        """The share of the asked kinds ``text`` holds; a sentence whose figures
        a comparison or superlative is computed from (a 分别 list of the
        items asked about) holds what it asks, though no ranking word says so;
        a lead followed by the first item of a numbered ``run``
        (``上海市大力推进跨境数字基础设施。`` before ``一是…``) holds a list."""
        if (kind == "sentence" and (question.asks_for("comparison") or question.asks_for("extreme"))
                and self.comparer.conclude(question, [text]) is not None):
            return 1.0
        return typed_share(question, text + run if question.asks_for("list") else text, tagged)

    def _candidate(self, question: Question, text: str, sentence: Sentence, s: int | None,
                   passages: tuple[Passage, ...], rank: int, sim: float, passage_sim: float,
                   context: tuple[float, float, float], kind: str, caption: str = "", run: str = "",
                   topic: str = "") -> Candidate:
        """A candidate with its features; ``context`` is the passage's
        coverage, names share and years share. A computed statement reads its
        table's ``caption`` as part of itself, as the table's rows do; ``run``
        is the first item of a numbered run the sentence leads, if any;
        ``topic`` the sentence before it in its passage (see :func:`measured_found`).
        A sentence that goes on with its topic (其中，出口2105.4亿美元…) is read
        with it for the terms, names, years and subject it states: the topic
        says whose figures they are."""
        heading = passages[0].heading + caption
        said = (topic if topic and goes_on(text) else "") + text
        cov, covered = coverage(question, heading + said)
        tagged = self.retriever.tokenizer.tagged(text) if self._needs_tags(question) else None
        values = {
            "sim": sim, "passage_sim": passage_sim, "rank": 1.0 / rank, "coverage": cov,
            "context_coverage": context[0], "names": names_found(question, heading + said),
            "context_names": context[1], "years": years_found(question, heading + said),
            "context_years": context[2], "numbers": share_found(question.numbers, caption + text),
            "typed": self._typed(question, text, tagged, kind, run), "side": side_found(question, text),
            "subject": subject_found(question, *self._subject(text, said)) if kind == "sentence" else 0.5,
            "row": float(kind == "row"), "computed": float(kind == "computed"),
            "row_named": row_named(passages[0].text, question) if kind != "sentence" else 0.0,
            "length": min(len(text), MAX_CHARS) / MAX_CHARS, "counted": counted_found(question, caption + text),
            "measured": asked_found(question, text, topic),
        }
        features = np.array([values[f] for f in OWN_FEATURES], dtype=np.float64)
        return Candidate(text, sentence, s, passages, rank, covered, features, kind)

    def _subject(self, text: str, said: str) -> tuple[str | None, bool]:
        """:meth:`_own_subject` of ``text``, or, when it states none, of
        ``said``: the topic it goes on with and ``text`` (see :meth:`_candidate`)."""
        own = self._own_subject(text)
        return own if own[0] is not None or said == text else self._own_subject(said)

    def _own_subject(self, text: str) -> tuple[str | None, bool]:
        """The first noun before a sentence's first figure in its clause (see
        :func:`figure_lead`), and whether it is the report's setting (中国, 全球,
        :meth:`QuestionAnalyzer.setting`); read once per sentence of the report."""
        found = self._subjects.get(text)
        if found is None:
            subject = next((w for w, f in self.retriever.tokenizer.tagged(figure_lead(text))
                            if f in SUBJECT_FLAGS and len(w) >= 2), None)
            found = self._subjects[text] = (subject, subject is not None and self.analyzer.setting(subject))
        return found

    @staticmethod
    def _needs_tags(question: Question) -> bool:
        """Whether the question asks for a kind only the tagger tells (a person, a place)."""
        return any(question.asks_for(k) for k in ("person", "place", "who"))

    def _computed(self, question: Question, computed: Computed, vector: np.ndarray,
                  hits: list[Hit]) -> Candidate:
        holdings = self.holdings
        table = self.table_of(computed.rows[0])
        assert table is not None, "a computed statement's rows are a table's"
        rank = min((h.rank for h in hits if (found := self.table_of(h.passage)) is not None and found[0] == table[0]),
                   default=len(hits))
        positions = [self.retriever.position(row.id) for row in computed.rows]
        assert None not in positions
        firsts = [ms[0] for ms in holdings.members(positions)]  # type: ignore[arg-type]
        sims = (holdings.sentence_vectors(firsts) @ vector).tolist()
        dense = [self.retriever.dense_score(vector, p) for p in positions]  # type: ignore[arg-type]
        caption = computed.rows[0].text[: computed.rows[0].text.find("）") + 1]
        context = caption + computed.text
        first = computed.rows[0].sentences[0]
        candidate = self._candidate(question, computed.text, first, None, computed.rows, rank, max(sims),
                                    max(dense), (coverage(question, context)[0], names_found(question, context),
                                                 years_found(question, context)), "computed", caption)
        return replace(candidate, looked_up=computed.looked_up)

    # -- composing ------------------------------------------------------------
    def pieces(self, question: Question, ranked: list[Candidate]) -> list[Piece]:
        """The extractive answer's pieces: the best candidate with sentences
        adding key terms it lacks, or a list's items, or one piece per side
        of a comparison; a comparison's or superlative's conclusion computed
        from their figures leads them (what the abstention model reads too)."""
        if not ranked:
            return []
        best = ranked[0]
        if best.kind == "row":  # the statement computed over the row says what its cells mean for the question
            best = next((c for c in ranked if c.kind == "computed" and c.passages[0].id == best.passages[0].id), best)
        if best.kind == "computed":
            return [Piece(best.text, best.sentence, best.passages, computed=True), *self._rows_read(best)]
        chosen = self.choose(question, ranked)
        pieces = [Piece(_clip(c.text), c.sentence, c.passages) for c in chosen]
        if question.asks_for("list"):
            listed = self.enumeration(ranked)
            if listed and coverage(question, _stated(listed))[0] >= coverage(question, _stated(pieces))[0]:
                pieces = listed
        sides = question.sides
        if len(sides) >= 2 and not all(any(_states_side(side, p.text) and NUMBER.search(p.text)
                                           for p in pieces) for side in sides):
            pieces = self.side_by_side(sides, ranked) or pieces
        return self._concluded(question, pieces)

    @staticmethod
    def _rows_read(looked_up: Candidate) -> list[Piece]:
        """The rows a looked-up statement reads, after it while they fit the
        budget, the table's caption with the first only: the statement states
        the cells it picked, the rows every cell (the question may ask one it
        did not pick)."""
        if not looked_up.looked_up:
            return []
        budget = MAX_CHARS - len(looked_up.text)
        rows = []
        for k, row in enumerate(looked_up.passages):
            text = row.text if k == 0 else row.text[len(_caption(row.text)):]
            if len(text) > budget:
                break
            rows.append(Piece(text, row.sentences[0], (row,)))
            budget -= len(text)
        return rows

    def choose(self, question: Question, ranked: list[Candidate]) -> list[Candidate]:
        """The best candidate, plus sentences that cover key terms it misses
        and score at least half as well, within the budget."""
        terms = question.terms
        chosen = [ranked[0]]
        covered = set(ranked[0].covered)
        budget = MAX_CHARS - len(_clip(ranked[0].text))
        total = sum(terms.values()) or 1.0
        for cand in ranked[1 : self.config.extra_sentences]:
            if len(chosen) >= self.config.max_sentences:
                break
            if cand.kind == "computed":
                continue
            gain = sum(terms[t] for t in cand.covered - covered) / total
            if gain >= 0.2 and len(cand.text) <= budget and cand.score >= ranked[0].score / 2:
                chosen.append(cand)
                covered |= cand.covered
                budget -= len(cand.text)
        chosen += self._part_answers(question, ranked, chosen, budget)
        chosen.sort(key=lambda c: (c.rank, c.sentence.start))
        return self._with_topics(self._continue_lead(chosen))

    def _part_answers(self, question: Question, ranked: list[Candidate], chosen: list[Candidate],
                      budget: int) -> list[Candidate]:
        """For a question of several asked parts, the best-ranked sentence
        answering each part no chosen sentence answers (:data:`PART_FIT`),
        while they fit the budget."""
        added: list[Candidate] = []
        for part in question.parts():
            if len(chosen) + len(added) >= self.config.max_sentences:
                break
            if any(part_found(part, c.text) >= PART_FIT for c in (*chosen, *added)):
                continue
            for cand in ranked[1 : self.config.extra_sentences]:
                if (cand.kind != "computed" and cand.score >= ranked[0].score * PART_SHARE
                        and len(cand.text) <= budget and all(cand is not c for c in (*chosen, *added))
                        and part_found(part, cand.text) >= PART_FIT):
                    added.append(cand)
                    budget -= len(cand.text)
                    break
        return added

    def _with_topics(self, chosen: list[Candidate]) -> list[Candidate]:
        """A chosen sentence that goes on with the one before it (``其中，出口额达
        1.55万亿元``, :func:`goes_on`) shown after that sentence, which says what
        it is about (跨境电商进出口额达2.11万亿元…), while it fits the budget: an
        answer a reader can follow without opening the passage."""
        budget = MAX_CHARS - sum(len(_clip(c.text)) for c in chosen)
        shown = {c.sentence_index for c in chosen}
        out: list[Candidate] = []
        for c in chosen:
            s = c.sentence_index
            if s is not None and s - 1 not in shown and goes_on(c.text) and s - 1 in self._members(c):
                (before,) = self.holdings.sentences([s - 1])
                if len(before.text) <= budget:
                    out.append(replace(c, text=before.text, sentence=before, sentence_index=s - 1))
                    shown.add(s - 1)
                    budget -= len(before.text)
            out.append(c)
        return out

    def _members(self, chosen: Candidate) -> list[int]:
        """The sentences (their positions in the index) of a chosen candidate's passage."""
        position = self.retriever.position(chosen.passage.id)
        assert position is not None
        return self.holdings.members([position])[0]

    def _continue_lead(self, chosen: list[Candidate]) -> list[Candidate]:
        """A short lead sentence (``上海市大力推进跨境数字基础设施。``) announces
        what follows: add the following sentences of its passage while they fit."""
        first = chosen[0]
        if len(chosen) != 1 or len(first.text) > 40 or first.sentence_index is None:
            return chosen
        members = self._members(first)
        at = members.index(first.sentence_index) if first.sentence_index in members else -1
        budget = MAX_CHARS - len(first.text)
        out = [first]
        following = members[at + 1 :] if at >= 0 else []
        for s, sentence in zip(following, self.holdings.sentences(following), strict=True):
            if len(sentence.text) > budget or len(out) >= self.config.max_sentences:
                break
            out.append(replace(first, text=sentence.text, sentence=sentence, sentence_index=s))
            budget -= len(sentence.text)
        return out

    def enumeration(self, ranked: list[Candidate]) -> list[Piece] | None:
        """When the best sentence belongs to a numbered run (``一是…二是…``,
        ``1.…2.…``), the run's item heads after its short lead. ``None`` when
        there is no run."""
        best_candidate = next((c for c in ranked if c.sentence_index is not None), None)
        if best_candidate is None or best_candidate.sentence_index is None:
            return None
        best = best_candidate.sentence_index
        count = self.holdings.sentence_count
        # the window a run can lie in, read at once (a longer run reads on)
        window = range(max(best - LIST_WINDOW, 0), min(best + LIST_WINDOW + LIST_GAP, count))
        self.holdings.owners(window)

        def text(s: int) -> str:
            return self.holdings.sentences([s])[0].text

        first = next((s for s in range(best, max(best - LIST_WINDOW, -1), -1) if _ordinal(text(s)) == 1), None)
        if first is None:  # a lead just before its run
            first = next((s for s in range(best + 1, min(best + 3, count)) if _ordinal(text(s)) == 1), None)
        if first is None:
            return None
        items = [first]
        doc = self._passage_of(first).doc_id
        s = first + 1
        while s < count and s - items[-1] <= LIST_GAP and self._passage_of(s).doc_id == doc:
            if _ordinal(text(s)) == len(items) + 1:
                items.append(s)
            s += 1
        if len(items) < 2 or best > items[-1] + 2:  # past the last item and its explanation
            return None
        out: list[Piece] = []
        budget = MAX_CHARS
        lead = self.holdings.sentences([first - 1])[0] if first else None
        if (lead is not None and len(lead.text) <= 40 and _ordinal(lead.text) is None
                and self._passage_of(first - 1).section_path == self._passage_of(first).section_path):
            out.append(Piece(lead.text, lead, (self._passage_of(first - 1),)))
            budget -= len(lead.text)
        heads: list[Piece] = []
        for s in items:
            sentence = self.holdings.sentences([s])[0]
            head = _item_head(sentence.text)
            if len(head) + 1 > budget:
                break
            heads.append(Piece(head + "；", sentence, (self._passage_of(s),)))
            budget -= len(head) + 1
        if len(heads) < 2:
            return None
        heads[-1] = replace(heads[-1], text=heads[-1].text[:-1] + "。")
        return out + heads

    def side_by_side(self, sides: tuple[tuple[str, ...], ...], ranked: list[Candidate]) -> list[Piece] | None:
        """One piece per side of a comparison: the best candidate naming the
        side and giving a figure, cut to the clauses that name it when long.
        ``None`` when a side has none or the pieces do not fit."""
        pieces: list[Piece] = []
        for side in sides:
            if any(_states_side(side, p.text) for p in pieces):
                continue
            cand = next((c for c in ranked[:SIDE_SEARCH] if c.kind != "computed"
                         and _states_side(side, c.text) and NUMBER.search(c.text)), None)
            if cand is None:
                return None
            if cand.kind == "row":
                piece: str | None = _row_body(cand.text, side[0])
            else:
                piece = cand.text if len(cand.text) <= SIDE_MAX_CHARS else _side_clause(cand.text, side)
            if piece is None or any(piece == p.text for p in pieces):
                return None
            pieces.append(Piece(piece, cand.sentence, cand.passages))
        if len(pieces) < 2 or sum(len(p.text) for p in pieces) > MAX_CHARS:
            return None
        return pieces

    def _passage_of(self, sentence_index: int) -> Passage:
        """The first passage holding a sentence."""
        return self.holdings.passages([self.holdings.owners([sentence_index])[0][0]])[0]

    # -- deciding ---------------------------------------------------------------
    def answer_features(self, question: Question, ranked: list[Candidate], pieces: list[Piece]) -> np.ndarray:
        """What the abstention model reads (:data:`ANSWER_FEATURES`)."""
        best = ranked[0]
        stated = _stated(pieces)
        said = "".join(p.text for p in pieces)
        rare = tuple(n for n in question.names if not self.analyzer.setting(n))

        unknown = {t: w for t, w in question.terms.items() if t not in question.known}
        covered, found = coverage(question, stated)
        total = sum(question.terms.values()) or 1.0
        values = {
            "best": best.score, "margin": best.score - (ranked[1].score if len(ranked) > 1 else 0.0),
            **{f"top_{f}": float(v) for f, v in zip(CANDIDATE_FEATURES, best.features, strict=True)},
            "coverage": covered,
            "names": names_found(question, stated),
            "lead_up_names": names_found(question, _lead_up(pieces[:1]), rare),
            "asked_names": names_found(question, stated, question.asked_names),
            "years": years_found(question, _lead_up(pieces)), "numbers": share_found(question.numbers, stated),
            "typed": float(all(type_verdicts(question, said, self.retriever.tokenizer.tagged(said)
                                             if self._needs_tags(question) else None))),
            "side": side_found(question, said),
            "missing_weight": sum(w for t, w in unknown.items() if t not in found) / total,
            # the most specific term the answer leaves out (全线, 首任, 国内), against the rarest possible
            "max_missing": max((w for t, w in question.terms.items() if t not in found), default=0.0)
            / self.analyzer.max_idf,
            "absent": float(bool(question.absent)),
            "month": month_found(question, said),
            "ordinal": ordinal_found(question, said),
            "rank": rank_found(question, said),
            "scope": scope_found(question, said),
            "partner": partner_found(question, said),
            # a question in the report's own words and phrases (weighed against the coverage it finds)
            "wording": question.wording,
            "phrasing": question.phrasing,
            # a question asking several things at once, one with talk around it (why the user
            # asks), and how many figures or dates it asks for
            "several": float(sum(question.asking) >= 2),
            "talk": float(question.talk),
            "things": float(len(question.measured) + len(question.counted) + len(question.dated)),
        }
        return np.array([values[f] for f in ANSWER_FEATURES], dtype=np.float64)

    def decide(self, question: Question, ranked: list[Candidate], pieces: list[Piece]) -> Decision:
        """The abstention model's verdict, with the reason when it abstains."""
        if not ranked or not pieces:
            return Decision(0.0, False, "no passage was retrieved", np.zeros(len(ANSWER_FEATURES)))
        x = self.answer_features(question, ranked, pieces)
        support = self.models.abstain.probability(x)
        if support >= self.threshold:
            return Decision(support, True, None, x)
        return Decision(support, False, self.reason(question, x, _stated(pieces)), x)

    def reason(self, question: Question, x: np.ndarray, stated: str | None = None) -> str:
        """Why the answer does not answer: among the checks a reader can
        follow, the one that pulls the support down most. Names and numbers
        it gives are those the answer's passages (``stated``) leave out; all of
        them when it states each (the pull is then a candidate's), or with no ``stated``."""
        pulls: dict[str, float] = {}
        for feature, pull in self.models.abstain.contributions(x).items():
            check = REASON_OF.get(feature.removeprefix("top_"))
            if check is not None:
                pulls[check] = pulls.get(check, 0.0) + pull
        worst = min(pulls, key=lambda c: pulls[c]) if pulls else None
        if worst == "typed":
            kinds = [KIND_WORDS[k] for k in question.asks if k in KIND_WORDS]
            return f"no retrieved passage states {kinds[0] if kinds else 'the kind of answer asked for'}"
        if worst == "names" and question.names:
            return f"the retrieved passages do not name {'、'.join(_left_out(question, question.names, stated))}"
        if worst == "numbers" and question.numbers:
            return f"the retrieved passages do not state {'、'.join(_left_out(question, question.numbers, stated))}"
        if worst == "years" and question.years:
            return f"the retrieved passages do not cover {'、'.join(question.years)}"
        if worst == "side" and question.trade_side:
            return f"the retrieved passages give no {question.trade_side} figure"
        if worst == "month" and question.month is not None:
            return f"the retrieved passages date their figures to another month than {question.month}月"
        if worst == "ordinal" and question.ordinals:
            return f"the retrieved passages do not state {'、'.join('第' + o for o in question.ordinals)}"
        if worst == "rank" and question.ranks:
            return f"the retrieved passages do not state {'、'.join(f'第{n}' for n in question.ranks)}"
        if worst == "scope" and question.scopes:
            return f"the retrieved passages give figures for another scope than {'、'.join(question.scopes)}"
        if worst == "counted" and question.counted:
            return f"no retrieved passage counts {'、'.join(noun or counter for counter, noun in question.counted)}"
        if worst == "measured" and question.measured:
            return f"no retrieved passage gives a figure for {'、'.join(question.measured)}"
        if worst == "measured" and question.dated:
            return f"no retrieved passage dates {'、'.join(question.dated)}"
        if worst == "absent" and question.absent:
            return f"the report never mentions {'、'.join(question.absent)}"
        missing = [t for t in question.terms if t not in question.known and t not in question.expansions]
        if worst == "unknown" and missing:
            return f"the report never mentions {'、'.join(missing[:3])}"
        return "the retrieved passages do not answer the question closely enough"

    # -- the whole path --------------------------------------------------------
    def answer_turn(self, history: list[str], question: str, k: int | None = None, mode: str | None = None,
                    doc_ids: Collection[str] | None = None) -> tuple[Resolution, Answer]:
        """Answer the last turn of a conversation: ``question`` resolved against the
        earlier user turns ``history`` (oldest first) when it leans on them."""
        resolution = self.followups.resolve([*history, question])
        return resolution, self.answer(resolution.resolved, k, mode, doc_ids)

    def title_of(self, doc_id: str) -> str:
        """The title of a report of the index."""
        info = self.retriever.index.manifest.documents.get(doc_id)
        return info.title if info is not None else doc_id

    def retrieve(self, q: Question, k: int | None = None, mode: str | None = None,
                 doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, list[Hit]]:
        """The question's one embedding forward and the passages retrieved with
        it (the reader's ``top_k`` unless ``k``), as answering and fitting both read them.
        A question over items (:attr:`Question.over_items`) gets a table whole
        (:meth:`Retriever.with_tables`), besides its ``k`` passages."""
        self.retriever.scope(doc_ids)  # an unknown report is an error before the model runs
        vector = self.retriever.encode(q.text)
        k = k or self.config.top_k
        if not q.over_items:
            return vector, self.retriever.search_vector(q.search_text, vector, k, mode, doc_ids, defined=q.defined)
        # a whole table is read for its rows, not as a passage: the reader reads k passages besides it
        hits = self.retriever.search_vector(q.search_text, vector, k + 1, mode, doc_ids, whole_tables=True,
                                           table=q.table)
        read: list[Hit] = []
        besides = 0  # passages read that are no whole table
        for hit in hits:
            if besides == k:
                break
            read.append(hit)
            besides += hit.passage.kind != "table"
        return vector, read

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               doc_ids: Collection[str] | None = None) -> list[Hit]:
        """Passages for ``query`` as the answer path retrieves them: its search
        text, with the long forms the report defines for its abbreviations
        (跨电: 跨境电商), not its raw text, with a table whole for a question over
        items. Lexical mode runs no model forward."""
        mode = mode or self.retriever.mode
        if mode not in MODES:  # an unknown mode or report is an error before the model runs
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        self.retriever.scope(doc_ids)
        q = self.analyze(query)
        vector = None if mode == "bm25" else self.retriever.encode(q.text)
        return self.retriever.search_vector(q.search_text, vector, k or self.config.top_k, mode, doc_ids,
                                           whole_tables=q.over_items, table=q.table, defined=q.defined)

    def answer(self, question: str, k: int | None = None, mode: str | None = None,
               doc_ids: Collection[str] | None = None) -> Answer:
        """Analyse, retrieve, read, compose and decide an answer to ``question``
        from the reports ``doc_ids`` (all by default)."""
        t0 = time.perf_counter()
        q = self.analyze(question)
        vector, hits = self.retrieve(q, k, mode, doc_ids)
        t1 = time.perf_counter()
        ranked = self.candidates(q, vector, hits)
        result = self._compose(q, hits, ranked)
        t2 = time.perf_counter()
        timings = {"retrieve": round((t1 - t0) * 1000, 2), "answer": round((t2 - t1) * 1000, 2),
                   "total": round((t2 - t0) * 1000, 2)}
        return replace(result, timings_ms=timings)

    def _abstain(self, q: Question, hits: list[Hit], support: float, reason: str | None) -> Answer:
        return Answer(q.text, ABSTAIN_TEXT, True, (), support, tuple(h.passage for h in hits[:3]),
                      abstain_reason=reason)

    def _compose(self, q: Question, hits: list[Hit], ranked: list[Candidate]) -> Answer:
        pieces = self.pieces(q, ranked)
        decision = self.decide(q, ranked, pieces)
        if not decision.answer:
            return self._abstain(q, hits, decision.support, decision.reason)
        if self.generator is not None:
            written = self._generated(q.text, hits, decision.support)
            if written is not None:
                return written
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        parts = []
        for k, piece in enumerate(pieces):
            same_passage = k + 1 < len(pieces) and pieces[k + 1].passages[0].id == piece.passages[0].id
            nxt = pieces[k + 1] if same_passage else None
            topic = nxt is not None and goes_on(nxt.text)  # 其中… after the sentence it goes on with
            marks = []
            for passage in piece.passages:
                if passage.id not in numbers:
                    numbers[passage.id] = len(numbers) + 1
                    # the quote: the sentence the answer rests on, not the topic a 其中 sentence goes on with
                    quote = ((nxt.sentence if nxt is not None and topic else piece.sentence)
                             if passage is piece.passages[0] else passage.sentences[0])
                    citations.append(Citation(numbers[passage.id], passage, quote.text, quote.start, quote.end,
                                              self.title_of(passage.doc_id)))
                marks.append(f"[{numbers[passage.id]}]")
            # list items of one passage share the marker at the end of the list, as a topic shares it
            # with the sentence that goes on with it
            same_list = nxt is not None and (piece.text.endswith("；") or topic)
            parts.append(piece.text if same_list else piece.text + "".join(marks))
        text = "".join(parts)
        # a computed statement's figures are its rows' cells; its rank or count is derived from them
        checked = "".join(part for part, piece in zip(parts, pieces, strict=True) if not piece.computed)
        if not numbers_supported(checked, [c.passage for c in citations]):
            return self._abstain(q, hits, decision.support, "a figure of the answer is in no cited passage")
        return Answer(q.text, text, False, tuple(citations), decision.support)

    def _concluded(self, q: Question, pieces: list[Piece]) -> list[Piece]:
        """A prose comparison's pieces led by its conclusion, computed from the
        figures they state (:class:`ProseComparer`), when it fits the budget;
        the conclusion cites every passage of the pieces."""
        if any(p.computed for p in pieces):
            return pieces  # a table comparison states its own conclusion
        conclusion = self.comparer.conclude(q, [p.text for p in pieces])
        if conclusion is None or len(conclusion) + sum(len(p.text) for p in pieces) > MAX_CHARS:
            return pieces
        cited = tuple({passage.id: passage for p in pieces for passage in p.passages}.values())
        return [Piece(conclusion, pieces[0].sentence, cited), *pieces]

    def _generated(self, question: str, hits: list[Hit], support: float) -> Answer | None:
        """The generator's answer when it passes the checks, else ``None``:
        markers must point at given passages, the answer must fit 200
        characters, and every number must be in a cited passage. A reply
        that says the report does not answer is an abstention."""
        passages = [h.passage for h in hits[: self.config.generator_passages]]
        try:
            raw = self.generator.generate(question, passages)  # type: ignore[union-attr]
        except Exception:  # an unreachable endpoint or a failing model: fall back
            return None
        if ABSTAIN_TEXT in normalize(raw) and not MARKER.search(raw):
            return Answer(question, ABSTAIN_TEXT, True, (), support, tuple(passages[:3]),
                          abstain_reason="the writer found no answer in the retrieved passages")
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
            citations.append(Citation(renumber[old], passage, quote.text, quote.start, quote.end,
                                      self.title_of(passage.doc_id)))
        return Answer(question, text, False, tuple(citations), support)


def numbers_in(text: str) -> set[str]:
    """Numbers as they appear in text (``3727.1``, ``2022``)."""
    return set(NUMBER_ANY.findall(normalize(text)))


def numbers_supported(answer: str, passages: list[Passage]) -> bool:
    """True when every number in ``answer`` (markers aside) is in a cited passage."""
    body = re.sub(r"\[\d+\]", " ", answer)  # not "": 1380[1]2022年 is two numbers
    cited = normalize("\n".join(p.text for p in passages))
    return all(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d]|\.\d)", cited) for n in numbers_in(body))


NUMBER_ANY = re.compile(r"\d+(?:\.\d+)?")
MARKER = re.compile(r"\[(\d+)\]")
LIST_WINDOW = 8  # sentences back from the best one to its run's first item
LIST_GAP = 4  # sentences of explanation allowed between two items
CHINESE_ORDINALS = "一二三四五六七八九十"
ITEM = re.compile(r"^\s*(?:([一二三四五六七八九十])是|（([一二三四五六七八九十])）|(\d{1,2})\s*[.．、](?!\d))")
SIDE_SEARCH = 20  # candidates searched for a sentence naming a side
SIDE_MAX_CHARS = 80  # a longer sentence is cut to the side's clauses


def _ordinal(sentence: str) -> int | None:
    """The item number a sentence opens with (``二是`` → 2, ``3.`` → 3)."""
    m = ITEM.match(sentence)
    if m is None:
        return None
    if m.group(3):
        return int(m.group(3))
    return CHINESE_ORDINALS.index(m.group(1) or m.group(2)) + 1


def _states_side(side: tuple[str, ...], text: str) -> bool:
    """Whether ``text`` states a side of a comparison: a name when two thirds
    of it are there (山东 for 山东省), a side of several terms when all are."""
    if len(side) == 1:
        return share_found(side, text) == 1
    norm = normalize(text)
    return all(t in norm for t in side)


def _side_clause(sentence: str, side: tuple[str, ...]) -> str | None:
    """The clause of ``sentence`` stating most of ``side``, with the next
    clause when the figure comes after it: ``中国已与30个国家建立“丝路电商”双边合作机制``."""
    clauses = CLAUSE.findall(sentence)
    if not clauses:
        return None
    norm = [normalize(c) for c in clauses]
    k = max(range(len(clauses)), key=lambda i: (sum(t in norm[i] for t in side), -i))
    if not any(t in norm[k] for t in side) and not _states_side(side[:1], clauses[k]):
        return None
    piece = clauses[k]
    if not NUMBER_ANY.search(piece) and k + 1 < len(clauses):
        piece += clauses[k + 1]
    return piece.rstrip("，；。") + "。" if NUMBER_ANY.search(piece) else None


def _stated(pieces: list[Piece]) -> str:
    """What an answer states: its pieces with the titles of their sections,
    and for a table row its table's caption."""
    titles = _titles(pieces)
    titles.update(dict.fromkeys(_caption(p.text) for piece in pieces for p in piece.passages
                                if p.kind == "table_row"))
    return " ".join(titles) + "".join(p.text for p in pieces)


def _titles(pieces: list[Piece]) -> dict[str, None]:
    """The titles of the pieces' sections, once each, in order."""
    return dict.fromkeys(" ".join(p.section_path) for piece in pieces for p in piece.passages)


def _caption(row: str) -> str:
    """A rendered table row's caption: ``表1 …（单位：亿美元；%）``."""
    at = row.find("）")
    return row[: at + 1] if at > 0 else ""


def _row_body(row: str, side: str) -> str | None:
    """A table row from the name of its subject on, without the caption,
    cut at a cell boundary to the side budget: ``中国：进出口3727.07，…``."""
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


def _left_out(question: Question, items: tuple[str, ...], stated: str | None) -> tuple[str, ...]:
    """The names or numbers of ``items`` that ``stated`` leaves out (with
    their alias forms, as :func:`share_found` reads them); all of ``items``
    when it leaves none out or nothing was stated."""
    if stated is None:
        return items
    left = tuple(i for i in items if not share_found((i,), stated, question.expansions))
    return left or items


def _lead_up(pieces: list[Piece]) -> str:
    """What an answer's passages say up to its sentences, with their sections'
    titles: a name given there is the sentences' subject; a name only after
    them belongs to another."""
    parts = _titles(pieces)
    for piece in pieces:
        for passage in piece.passages:
            at = passage.text.find(piece.sentence.text)
            parts[passage.text if at < 0 else passage.text[: at + len(piece.sentence.text)]] = None
        if piece.computed:
            parts[piece.text] = None
    return " ".join(parts)


def _item_head(sentence: str) -> str:
    """An item without its closing stop, cut at its first clause when long."""
    head = sentence.rstrip("。；;")
    if len(head) > 40:
        head = head[: min((i for i in (head.find("，"), head.find("；")) if i > 0), default=len(head))]
    return head


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
