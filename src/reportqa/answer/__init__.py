"""Answering: cited, checked answers composed from retrieved passages."""

from reportqa.answer.composer import (
    ABSTAIN_TEXT,
    Answer,
    Answerer,
    Citation,
    ComposerConfig,
    numbers_supported,
)
from reportqa.answer.question import Question, QuestionAnalyzer

__all__ = ["ABSTAIN_TEXT", "Answer", "Answerer", "Citation", "ComposerConfig", "Question", "QuestionAnalyzer",
           "numbers_supported"]
