"""Segmentation: one jieba tokenizer shared by indexing and querying."""

from reportqa.segment.tokenizer import Tokenizer

__all__ = ["Tokenizer"]
