"""How Milvus Lite answers beside today's store, on the same passages and vectors.

A first measurement for the Milvus store (issue "Past one machine"): the
passages of the built index go into one Milvus Lite collection (passage vector,
``index_text`` for Milvus's BM25 with the jieba analyzer, doc id); for each
question of a set, dense top 10 (FLAT, COSINE) is compared with our FAISS
search, and BM25 top 10 with our BM25 over our jieba tokens.

    .venv/bin/python eval/milvus_parity.py [--questions eval/questions.jsonl] [--our-tokens]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reportqa.chunking import Passage
from reportqa.evaluation.runner import load_questions
from reportqa.index.dense import top_k
from reportqa.index.store import index_text
from reportqa.service import load_components
from reportqa.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default="eval/questions.jsonl")
    parser.add_argument("--our-tokens", action="store_true",
                        help="index our jieba tokens with a whitespace analyzer instead of Milvus's jieba")
    args = parser.parse_args()
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    comps = load_components(Settings(), build_if_needed=True)
    index = comps.index
    with tempfile.TemporaryDirectory() as tmp:
        client = MilvusClient(str(Path(tmp) / "milvus.db"))
        schema = client.create_schema(auto_id=False)
        schema.add_field("pos", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=200)
        # the analyzer: Milvus's jieba, or our own jieba tokens written as ASCII words (w<id>) that
        # Milvus's standard tokenizer keeps whole: one tokenizer for both stores
        analyzer = {"tokenizer": "standard"} if args.our_tokens else {"tokenizer": "jieba"}
        vocab: dict[str, int] = {}

        def words(tokens: list[str], grow: bool) -> str:
            if grow:
                for t in tokens:
                    vocab.setdefault(t, len(vocab))
            return " ".join(f"w{vocab[t]}" for t in tokens if t in vocab)

        schema.add_field("text", DataType.VARCHAR, max_length=32000, enable_analyzer=True, analyzer_params=analyzer)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=index.passage_vectors.shape[1])
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        params = client.prepare_index_params()
        params.add_index(field_name="dense", index_type="FLAT", metric_type="COSINE")
        params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": 1.5, "bm25_b": 0.75})  # as our BM25
        client.create_collection("passages", schema=schema, index_params=params)
        began = time.perf_counter()
        def text(passage: Passage) -> str:
            return words(comps.tokenizer.tokenize(index_text(passage)), True) if args.our_tokens else index_text(passage)

        client.insert("passages", [{"pos": k, "doc_id": p.doc_id, "text": text(p),
                                    "dense": index.passage_vectors[k].tolist()} for k, p in enumerate(index.passages)])
        insert_s = time.perf_counter() - began
        client.load_collection("passages")
        dense_agree, bm25_agree, t_dense, t_bm25 = [], [], [], []
        for q in load_questions(Path(args.questions)):
            vector = comps.retriever.encode(q.question)
            ours = set(index.dense.search(vector[None, :], 10)[1][0].tolist())
            t = time.perf_counter()
            hits = client.search("passages", data=[vector.tolist()], anns_field="dense", limit=10,
                                 output_fields=["pos"])[0]
            t_dense.append((time.perf_counter() - t) * 1000)
            dense_agree.append(len(ours & {h["pos"] for h in hits}) / 10)
            tokens = comps.tokenizer.tokenize(q.question)
            scores = index.bm25.scores(tokens)
            best, ids = top_k(scores, 10)
            ours_bm25 = {i for i, s in zip(ids[0].tolist(), best[0].tolist(), strict=True) if s > 0}
            t = time.perf_counter()
            query = (words(tokens, False) or "w-none") if args.our_tokens else q.question
            hits = client.search("passages", data=[query], anns_field="sparse", limit=10,
                                 search_params={"metric_type": "BM25"}, output_fields=["pos"])[0]
            t_bm25.append((time.perf_counter() - t) * 1000)
            if ours_bm25:
                bm25_agree.append(len(ours_bm25 & {h["pos"] for h in hits}) / len(ours_bm25))
        client.close()
    print(f"{len(index.passages)} passages inserted in {insert_s:.2f} s")
    print(f"dense top-10 overlap with FAISS: mean {statistics.mean(dense_agree):.3f}, "
          f"min {min(dense_agree):.2f}; Milvus dense p50 {statistics.median(t_dense):.2f} ms")
    print(f"BM25 top-10 overlap with ours: mean {statistics.mean(bm25_agree):.3f}; "
          f"Milvus BM25 p50 {statistics.median(t_bm25):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
