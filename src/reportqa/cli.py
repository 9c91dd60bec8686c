"""Command line: thin shells over the library. A user's error prints one line and exits 2; a bug
shows its traceback and exits 1."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from typing import get_args

from pydantic import ValidationError

from reportqa.chunking import Chunker
from reportqa.errors import ReportqaError, UsageError
from reportqa.ingest import ReportParser
from reportqa.rendering import hit_json, passage_json
from reportqa.settings import Mode
from reportqa.shell import setting_error, settings_from


def cmd_summary(args: argparse.Namespace) -> int:
    """Print what ingestion and chunking make of each corpus file."""
    from reportqa.service import chunking_config, read_corpus

    settings = settings_from(args)
    parser, chunker = ReportParser(), Chunker(chunking_config(settings))
    for source in read_corpus(settings):
        doc = parser.parse(source)
        passages = chunker.chunk(doc)
        kinds = Counter(p.kind for p in passages)
        print(f"{doc.doc_id}: {len(doc.text)} characters, sha256 {doc.sha256[:12]}")
        print(f"  pages {len(doc.pages)} (printed {doc.pages[0].number}-{doc.pages[-1].number})")
        print(f"  sections {len(doc.sections)} ({sum(s.is_box for s in doc.sections)} boxes), "
              f"paragraphs {len(doc.paragraphs)}")
        print(f"  tables {len(doc.tables)} ({sum(len(t.rows) for t in doc.tables)} rows), "
              f"figures {len(doc.captions)}, footnotes {len(doc.footnotes)}")
        print(f"  passages {len(passages)}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return 0


def cmd_chunks(args: argparse.Namespace) -> int:
    """Print the passages."""
    from reportqa.service import chunking_config, read_corpus

    settings = settings_from(args)
    parser, chunker = ReportParser(), Chunker(chunking_config(settings))
    passages = [p for s in read_corpus(settings) for p in chunker.chunk(parser.parse(s))]
    if args.json:
        print(json.dumps([passage_json(p) for p in passages], ensure_ascii=False, indent=1))
    else:
        for p in passages:
            where = " > ".join(p.section_path)
            print(f"[{p.id}] {p.kind} p.{p.page_start}-{p.page_end} {where}\n  {p.text}\n")
    return 0


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` as ``(I, N)``, 1 <= I <= N; a :class:`UsageError` otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if m is None or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {text!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(m.group(1)), int(m.group(2))


def cmd_index(args: argparse.Namespace) -> int:
    """Build the index (progress bar), print passages, seconds and model."""
    from reportqa.index.embedder import build_embedder
    from reportqa.segment import Tokenizer
    from reportqa.service import build_index, build_shard, read_corpus

    shard = parse_shard(args.shard) if args.shard else None
    settings = settings_from(args)
    sources = read_corpus(settings)
    embedder = build_embedder(settings)
    stage = lambda s: print(f"… {s}", file=sys.stderr)  # noqa: E731
    if shard is not None:
        report = build_shard(settings, embedder, Tokenizer(), shard, sources, progress=True, on_stage=stage)
    else:
        report = build_index(settings, embedder, Tokenizer(), sources, progress=True, on_stage=stage)
    print(f"indexed {report.passages} passages ({report.sentences} sentences) in "
          f"{report.seconds:.1f} s (embedding {report.embed_seconds:.1f} s) with {report.model} "
          f"into {report.directory}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Search the index."""
    if not args.query.strip():
        raise UsageError("the query is empty")
    from reportqa.service import load_components

    settings = settings_from(args)
    loaded = load_components(settings)
    hits = loaded.answerer.search(args.query, settings.top_k, settings.mode, args.doc or None)
    if args.json:
        print(json.dumps([hit_json(h) for h in hits], ensure_ascii=False, indent=1))
    else:
        for h in hits:
            p = h.passage
            print(f"{h.rank}. [{h.score:.4f}] {p.kind} p.{p.page_start}-{p.page_end} "
                  f"{' > '.join(p.section_path)}\n   {p.text[:200]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="reportqa", description="Question answering over a long Chinese report."
    )
    parser.add_argument("--corpus-dir", dest="corpus_dir", help="folder of *.txt corpus files")
    parser.add_argument("--index-dir", dest="index_dir", help="folder of the built index")
    parser.add_argument("--store", choices=["faiss", "milvus"], help="where the index lives (REPORTQA_STORE)")
    parser.add_argument("--milvus-uri", dest="milvus_uri", help="Milvus Lite file (.db) or http://host:port")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("summary", help="print what ingestion makes of the corpus")
    p.set_defaults(func=cmd_summary)
    p = sub.add_parser("chunks", help="print the passages")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_chunks)
    p = sub.add_parser("index", help="build the index")
    p.add_argument("--shard", metavar="I/N", help="embed only the reports of shard I of N (1-based), "
                   "adding to the index; run N of them, on N machines, into one Milvus")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("search", help="search the index")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=None, help="hits (REPORTQA_TOP_K by default)")
    p.add_argument("--mode", choices=list(get_args(Mode)), default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="search this report only (repeatable)")
    p.set_defaults(func=cmd_search)
    from reportqa import commands  # ask, eval, bench, serve

    commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reportqa`` command."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValidationError as exc:  # a bad REPORTQA_* setting
        print(f"reportqa: error: {setting_error(exc)}", file=sys.stderr)
        return 2
    except ReportqaError as exc:  # anything else is a bug: its traceback, exit 1
        print(f"reportqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reportqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
