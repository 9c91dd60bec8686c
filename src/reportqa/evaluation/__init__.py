"""Evaluation: question files, relevance by offsets, metrics and reports."""
