"""CLI commands that need the loaded service: ask, eval, bench, serve, and the
commands that change the corpus: add, remove, documents."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, get_args

from reportqa.errors import UsageError
from reportqa.ingest.normalize import strip_control
from reportqa.rendering import ReportOut, answer_json
from reportqa.settings import Mode
from reportqa.shell import components, flag_environment, settings_from


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question with citations."""
    question = strip_control(args.question)
    if not question or len(question) > 500:
        raise UsageError("the question must be 1-500 characters")
    loaded = components(args)
    answer = loaded.answerer.answer(question, args.k, args.mode, args.doc or None)
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=1))
        return 0
    print(answer.text)
    if answer.abstained and answer.abstain_reason:
        print(f"({answer.abstain_reason})")
    for c in answer.citations:
        print(f"[{c.n}] {' > '.join(c.passage.section_path)} (p.{c.passage.page_start}"
              f"{'' if c.passage.page_end == c.passage.page_start else '-' + str(c.passage.page_end)}, "
              f"offsets {c.passage.start}-{c.passage.end})\n    {c.passage.text}")
    if answer.abstained and answer.see_also:
        print("See also:")
        for p in answer.see_also:
            print(f"  - {' > '.join(p.section_path)} (p.{p.page_start}): {p.text[:80]}")
    return 0


def _questions(args: argparse.Namespace) -> tuple[list[Path], list[Any]]:
    """The question files named by ``--questions`` (our set by default) and their questions."""
    from reportqa.evaluation.runner import load_questions

    files = [Path(f) for f in (args.questions or ["eval/questions.jsonl"])]
    return files, [q for f in files for q in load_questions(f)]


def cmd_eval(args: argparse.Namespace) -> int:
    """Run question files through retrieval and answering; print and write metrics."""
    from reportqa.evaluation.report import write_report
    from reportqa.evaluation.runner import Evaluator

    _, questions = _questions(args)
    loaded = components(args)
    evaluator = Evaluator(loaded.answerer, {d.doc_id: d.text for d in loaded.documents.values()})
    modes = ["hybrid", "dense", "bm25"] if args.eval_mode == "all" else [args.eval_mode]
    results = {}
    for mode in modes:
        print(f"… evaluating {len(questions)} questions in {mode} mode", file=sys.stderr)
        results[mode] = evaluator.run(questions, mode)
    for mode, r in results.items():
        print(f"{mode}: recall@5 {r.retrieval['recall@5']:.3f} mrr@10 {r.retrieval['mrr@10']:.3f} "
              f"accuracy {r.accuracy:.3f} char_f1 {r.char_f1:.3f} "
              f"abstain P/R {r.abstention.precision:.3f}/{r.abstention.recall:.3f} "
              f"false-abstain {r.abstention.false_abstention_rate:.3f} "
              f"cite P/R {r.citation_precision:.3f}/{r.citation_recall:.3f} "
              f"p50 {r.latency_p50_ms:.1f} ms p95 {r.latency_p95_ms:.1f} ms")
        for t, bt in r.by_type.items():
            print(f"   {t:<12} n={bt.n:<3} accuracy {bt.accuracy:.3f} recall@5 {bt.recall_at_5}")
    payload: dict[str, Any] = (results[modes[0]].to_json() if len(modes) == 1
                               else {"modes": {m: r.to_json() for m, r in results.items()}})
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    if args.report:
        command = "reportqa " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        path = write_report(results, Path(args.report), command)
        print(f"report written to {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the HTTP service; the index is built in the background when missing or stale."""
    import logging

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    settings = settings_from(args)
    # uvicorn builds the app from its factory (the CLI never imports the API); the flags
    # given reach it as the REPORTQA_* variables they stand for, validated above
    os.environ.update(flag_environment(args))
    from reportqa.service import report_files

    # a Milvus replica without a corpus serves what is live in Milvus (service.load_components)
    replica = settings.store == "milvus" and not report_files(settings.corpus_dir)
    what = "the reports live in Milvus" if replica else str(settings.corpus_dir)
    print(f"reportqa: serving {what} on http://{settings.host}:{settings.port}/ "
          f"(API docs at /docs; the index loads or builds first, /health says when ready)",
          flush=True)
    uvicorn.run("reportqa.api.app:create_app", factory=True, host=settings.host, port=settings.port,
                log_level="info")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure build, latency and HTTP throughput beside the reference pipeline."""
    from reportqa.bench.runner import BenchConfig, run_bench, write_bench_report

    if args.docs < 1:
        raise UsageError("--docs must be at least 1")
    if args.bench_store:
        return _bench_store(args)
    config = BenchConfig(
        questions=Path(args.questions), max_questions=10 if args.quick else 0,
        http_seconds=2.0 if args.quick else args.seconds,
        concurrency=(1, 8) if args.quick else (1, 8, 32),
        reference=not args.no_reference, docs=args.docs, cold=not args.no_cold,
        burst=50 if args.quick else 400,
    )
    bench = run_bench(settings_from(args), config)
    result = bench.to_json()
    print(json.dumps({k: v for k, v in result.items() if k != "http"}, ensure_ascii=False))
    for name, figures in result["http"].items():
        print(f"http {name}: {figures}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    if args.report:
        command = "reportqa " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        print(f"report written to {write_bench_report(bench, Path(args.report), command)}")
    return 0


def _bench_store(args: argparse.Namespace) -> int:
    """``bench --store``: one store's build, add, load, search and ask figures at ``--docs`` reports."""
    from reportqa.bench.stores import run_store_bench

    figures = run_store_bench(settings_from(args), args.bench_store, args.docs, Path(args.questions),
                              args.fake_embedder, 10 if args.quick else 0).to_json()
    print(json.dumps(figures, ensure_ascii=False))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1), "utf-8")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add report files to the corpus and the index (embedding only them)."""
    from reportqa.index.embedder import build_embedder
    from reportqa.segment import Tokenizer
    from reportqa.service import add_reports

    settings = settings_from(args)
    report = add_reports(settings, build_embedder(settings), Tokenizer(), [Path(f) for f in args.files],
                         on_stage=lambda s: print(f"… {s}", file=sys.stderr))
    print(f"added {', '.join(report.added)}: {report.passages} passages, {report.sentences} sentences "
          f"embedded in {report.seconds:.1f} s")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove a report from the index and the corpus."""
    from reportqa.index.embedder import build_embedder
    from reportqa.segment import Tokenizer
    from reportqa.service import remove_report

    settings = settings_from(args)
    remove_report(settings, build_embedder(settings), Tokenizer(), args.doc_id)
    print(f"removed {args.doc_id}")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    """List the reports of the index."""
    from reportqa.service import open_store

    reports = ReportOut.list_of(open_store(settings_from(args)).manifest())
    if args.json:
        print(json.dumps([r.model_dump() for r in reports], ensure_ascii=False, indent=1))
        return 0
    for r in reports:
        print(f"{r.id}\t{r.title}\t{r.pages} pages\t{r.passages} passages\tadded {r.added_at}")
    return 0


def register(sub: Any) -> None:
    """Add the commands to the CLI's sub-parsers."""
    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--mode", choices=list(get_args(Mode)), default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="answer from this report only (repeatable)")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("eval", help="evaluate retrieval and answers on question files")
    p.add_argument("--questions", nargs="+", help="JSON Lines question files")
    p.add_argument("--mode", dest="eval_mode", choices=[*get_args(Mode), "all"], default="hybrid")
    p.add_argument("--json", help="write the metrics as JSON here")
    p.add_argument("--report", help="write a Markdown report and chart into this folder")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("bench", help="benchmark beside the LangChain reference pipeline")
    p.add_argument("--json", help="write the figures as JSON here")
    p.add_argument("--report", help="write a Markdown report and latency plot here")
    p.add_argument("--quick", action="store_true", help="every part briefly (smoke test)")
    p.add_argument("--questions", default="eval/questions.jsonl")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds per HTTP concurrency level")
    p.add_argument("--docs", type=int, default=1, help="synthetic report-like documents (scale test)")
    p.add_argument("--no-reference", action="store_true", help="skip the LangChain reference")
    p.add_argument("--no-cold", action="store_true", help="skip the cold (fresh process) build")
    p.add_argument("--store", dest="bench_store", choices=["faiss", "milvus"],
                   help="measure this store alone at --docs reports: build, add one, load, search, ask, memory, disk")
    p.add_argument("--fake-embedder", action="store_true",
                   help="with --store: the hash embedder and copies of the parsed report (the store's own figures)")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("add", help="add report files (.pdf, .txt) to the corpus and the index")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("remove", help="remove a report from the index and the corpus")
    p.add_argument("doc_id")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("documents", help="list the reports of the index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_documents)
    p = sub.add_parser("serve", help="start the HTTP service and the web page")
    p.add_argument("--host", default=None, help="REPORTQA_HOST by default (127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="REPORTQA_PORT by default (8000)")
    p.set_defaults(func=cmd_serve)

