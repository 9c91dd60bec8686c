"""The shared jieba tokenizer: domain words, numbers, stopwords, one dictionary per process."""

from __future__ import annotations

from reportqa.segment import Tokenizer
from reportqa.segment.tokenizer import normalize

QUESTION = "国家数字服务出口基地的可数字化交付服务出口额是多少？"


def test_domain_terms_are_single_words() -> None:
    assert Tokenizer().words(QUESTION) == [
        "国家", "数字服务出口基地", "的", "可数字化交付服务", "出口额", "是", "多少"
    ]


def test_search_tokens_add_sub_words_and_drop_stopwords() -> None:
    tokens = Tokenizer().tokenize(QUESTION)
    assert tokens == [
        "国家", "数字", "服务", "出口", "基地", "数字服务出口基地", "可数", "数字", "交付", "服务",
        "数字化", "可数字化交付服务", "出口", "出口额",
    ]
    for stopword in ("的", "是", "多少"):
        assert stopword not in tokens
    assert "？" not in tokens


def test_numbers_with_units_tokenise_alike_in_documents_and_queries() -> None:
    tokenizer = Tokenizer()
    document = tokenizer.tokenize("2022 年中国可数字化交付的服务进出口额为 3727.1 亿美元")
    query = tokenizer.tokenize("2022年中国可数字化交付的服务进出口额为3727.1亿美元")
    assert document == query
    assert tokenizer.tokenize("3727.1 亿美元") == tokenizer.tokenize("3727.1亿美元") == ["3727.1", "美元", "亿美元"]
    assert tokenizer.words("3727.1 亿美元") == ["3727.1", "亿美元"]
    assert "3727.1" in document
    assert "3727" not in document and "1" not in document


def test_normalisation_is_shared() -> None:
    # full-width digits, upper case and PDF spaces all normalise away
    assert normalize("ＧＤＰ比重为 5.9%") == "gdp比重为5.9%"
    tokenizer = Tokenizer()
    assert tokenizer.tokenize("３７２７．１亿美元") == tokenizer.tokenize("3727.1亿美元")
    assert tokenizer.tokenize("GDP比重为 5.9%") == ["gdp", "比重", "5.9"]


def test_jieba_dictionary_loads_once_per_process() -> None:
    first, second = Tokenizer(), Tokenizer()
    assert first._jieba is second._jieba
    assert first.stopwords is second.stopwords
