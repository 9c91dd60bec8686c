"""The one tokenizer used for both indexing and querying.

jieba with a domain user dictionary built from the report and a stopword
list. Text is normalised the same way for documents and queries (NFKC,
lower case, PDF spaces around numbers removed), so ``3727.1 亿美元`` and
``3727.1亿美元`` give the same tokens. jieba's dictionary loads once per
process, however many :class:`Tokenizer` objects are made.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jieba
import jieba.posseg

from reportqa.ingest.normalize import clean_pieces

WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
NUMBER = re.compile(r"(\d+(?:\.\d+)?)")
_lock = threading.Lock()


def _data_path(name: str) -> Path:
    return Path(str(resources.files("reportqa.segment") / "data" / name))


@lru_cache(maxsize=4)
def _load_jieba(userdict: str) -> jieba.Tokenizer:
    """Build and initialise one jieba tokenizer per user dictionary per process."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with _lock:
        tokenizer.initialize()
        tokenizer.load_userdict(userdict)
    return tokenizer


@lru_cache(maxsize=4)
def _load_tagger(userdict: str) -> jieba.posseg.POSTokenizer:
    """A part-of-speech tagger over the same jieba dictionary."""
    return jieba.posseg.POSTokenizer(_load_jieba(userdict))


@lru_cache(maxsize=4)
def _load_stopwords(path: str) -> frozenset[str]:
    return frozenset(w.strip() for w in Path(path).read_text(encoding="utf-8").splitlines() if w.strip())


NOT_A_WORD_CHAR = re.compile(r"[^\w]|_")  # punctuation and blanks, which no word holds


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC, lower case, and the PDF spaces around numbers removed.

    Cached: the answerer normalises the same passages and sentences for every
    question, and this character loop was a third of a question's time."""
    text = unicodedata.normalize("NFKC", text).lower()
    return clean_pieces([(text, 0)])[0]


class Tokenizer:
    """jieba + user dictionary + stopwords, shared by index and query.

    Args:
        userdict: path of a jieba user dictionary; the packaged one by default.
        stopwords: path of a stopword list; the packaged one by default.
    """

    def __init__(self, userdict: Path | None = None, stopwords: Path | None = None) -> None:
        self.userdict = userdict or _data_path("userdict.txt")
        self._jieba = _load_jieba(str(self.userdict))
        self.stopwords = _load_stopwords(str(stopwords or _data_path("stopwords.txt")))

    def _cut(self, text: str, search: bool) -> list[str]:
        # Numbers stay whole (jieba would split 3727.1 at the point).
        out: list[str] = []
        for k, piece in enumerate(NUMBER.split(normalize(text))):
            if k % 2:
                out.append(piece)
            elif piece:
                cut = self._jieba.lcut_for_search if search else self._jieba.lcut
                out.extend(w for w in cut(piece, HMM=False) if WORD.search(w))
        return out

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """Words with jieba part-of-speech flags (``ns`` place, ``nt`` organisation, …)."""
        tagger = _load_tagger(str(self.userdict))
        out: list[tuple[str, str]] = []
        for k, piece in enumerate(NUMBER.split(normalize(text))):
            if k % 2:
                out.append((piece, "m"))
            elif piece:
                out.extend((p.word, p.flag) for p in tagger.lcut(piece, HMM=False) if WORD.search(p.word))
        return out

    def general_frequencies(self) -> tuple[dict[str, int], int]:
        """jieba's dictionary counts of general Chinese words and their total:
        how common a word is outside the report."""
        return self._jieba.FREQ, int(self._jieba.total)

    def words(self, text: str) -> list[str]:
        """Precise segmentation of normalised text, punctuation and spaces dropped."""
        return self._cut(text, search=False)

    def tokenize(self, text: str) -> list[str]:
        """Search tokens: each word plus the dictionary sub-words of long words,
        stopwords removed. Used for BM25 documents and queries alike."""
        return [t for t in self._cut(text, search=True) if t not in self.stopwords]
