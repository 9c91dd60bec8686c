"""Benchmarks: reportqa beside a LangChain + FAISS reference pipeline."""
