"""reportqa: retrieval-augmented question answering over a long Chinese report."""

__version__ = "0.1.0"
