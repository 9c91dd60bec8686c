"""``reportqa bench``: build, in-process and HTTP figures beside the reference pipeline.

Every figure is measured in the same run on the same machine, so the ratios
hold even where absolute timings are noisy.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportqa.bench.results import (
    AddFigures,
    BenchResult,
    BuildFigures,
    Burst,
    HttpLoad,
    InProcess,
    Latency,
    ReferenceFigures,
    Served,
)
from reportqa.evaluation.metrics import percentile
from reportqa.evaluation.runner import load_questions
from reportqa.settings import Settings

NUMBER = re.compile(r"(?<![\d.])(\d{2,}(?:\.\d+)?|\d+\.\d+)(?![\d.])")


@dataclass(frozen=True)
class BenchConfig:
    """How long and how much to measure."""

    questions: Path = Path("eval/questions.jsonl")
    max_questions: int = 0
    http_seconds: float = 20.0
    concurrency: tuple[int, ...] = (1, 8, 32)
    reference: bool = True
    docs: int = 1
    cold: bool = True
    burst: int = 400  # asks sent at once to measure load shedding


def synthetic_corpus(source: str, n: int, folder: Path, seed: int = 7) -> list[Path]:
    """Write ``n`` report-like documents: the report with its numbers perturbed
    (years, page footers and one-digit footnote markers kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    def perturb(match: re.Match[str]) -> str:
        text = match.group(1)
        if re.fullmatch(r"(19|20)\d\d", text):
            return text
        decimals = len(text.split(".")[1]) if "." in text else 0
        value = float(text) * rng.uniform(0.8, 1.2)
        return f"{value:.{decimals}f}" if decimals else str(max(10, round(value)))

    for k in range(n):
        lines = [ln if k == 0 or re.fullmatch(r"\s*-\s*\d+\s*-\s*", ln) else NUMBER.sub(perturb, ln)
                 for ln in source.split("\n")]
        path = folder / f"report-{k:03d}.txt"
        path.write_text("\n".join(lines), "utf-8")
        paths.append(path)
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _stats(values: list[float]) -> Latency:
    return Latency(p50_ms=round(percentile(values, 50), 2), p95_ms=round(percentile(values, 95), 2),
                   p99_ms=round(percentile(values, 99), 2))


def _http_load(url: str, questions: list[str], clients: int, seconds: float) -> HttpLoad:
    import httpx

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        nonlocal errors
        with httpx.Client(timeout=60) as client:
            k = offset
            while time.perf_counter() < stop:
                question = questions[k % len(questions)]
                k += clients
                began = time.perf_counter()
                try:
                    ok = client.post(f"{url}/ask", json={"question": question}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    errors += not ok

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    stats = _stats(latencies)
    return HttpLoad(rps=round(len(latencies) / elapsed, 2), p50_ms=stats.p50_ms, p99_ms=stats.p99_ms,
                    errors=errors, requests=len(latencies))


def odd_questions(length: int = 500, seed: int = 11) -> dict[str, str]:
    """Worst-case questions of ``length`` characters: random letters, one
    repeated character, digits with date and rate marks, and cue words mixed."""
    rng = random.Random(seed)
    return {
        "junk_letters": "".join(rng.choice(string.ascii_lowercase) for _ in range(length)),
        "repeated_char": "数" * length,
        "digits": "".join(rng.choice("0123456789年月.%") for _ in range(length)),
        "mixed_cues": "".join(rng.choice("数字贸易出口中国2022年多少哪个最高的是和比") for _ in range(length)),
    }


def _burst(url: str, questions: list[str], clients: int) -> Burst:
    """``clients`` asks started together, one each: how many were accepted and
    turned away (503), their latencies, and any other status or transport error."""
    import httpx

    barrier = threading.Barrier(clients)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(k: int) -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait(timeout=60)
            began = time.perf_counter()
            try:
                status = client.post(f"{url}/ask", json={"question": questions[k % len(questions)]}).status_code
            except httpx.HTTPError:
                status = 0
            with lock:
                results.append((status, (time.perf_counter() - began) * 1000))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = [ms for status, ms in results if status == 200]
    rejected = [ms for status, ms in results if status == 503]
    return Burst(clients=clients, accepted=len(accepted), rejected_503=len(rejected),
                 other_errors=sum(status not in (200, 503) for status, _ in results),
                 accepted_p99_ms=_stats(accepted).p99_ms, rejected_p50_ms=_stats(rejected).p50_ms,
                 rejected_p99_ms=_stats(rejected).p99_ms)


def _in_process(comps: Any, embedder: Any, questions: list[str]) -> InProcess:
    """Latencies in this process: the forward, each search mode, the ask and its answer step."""
    embed, ask = [], []
    search: dict[str, list[float]] = {"hybrid": [], "dense": [], "bm25": []}
    for q in questions:
        t = time.perf_counter()
        embedder.embed_queries([q])
        embed.append((time.perf_counter() - t) * 1000)
        for mode in search:
            t = time.perf_counter()
            comps.retriever.search(q, 5, mode)
            search[mode].append((time.perf_counter() - t) * 1000)
    before = embedder.forwards
    steps = []
    for q in questions:
        t = time.perf_counter()
        steps.append(comps.answerer.answer(q).timings_ms["answer"])
        ask.append((time.perf_counter() - t) * 1000)
    forwards = round((embedder.forwards - before) / max(len(questions), 1), 3)
    # the answer step (after retrieval) of odd 500-character questions: the slowest of 3 runs
    odd = {name: round(max(comps.answerer.answer(q).timings_ms["answer"] for _ in range(3)), 2)
           for name, q in odd_questions().items()}
    return InProcess(
        forwards_per_question=forwards, answer_step_p50_ms=_stats(steps).p50_ms,
        answer_step_max_ms=round(max(steps, default=0.0), 2), odd_answer_step_ms=odd,
        embed_p50_ms=_stats(embed).p50_ms, search_p50_ms={m: _stats(v).p50_ms for m, v in search.items()},
        ask_p50_ms=_stats(ask).p50_ms, ask_p95_ms=_stats(ask).p95_ms,
    )


def _over_http(env: dict[str, str], questions: list[str], config: BenchConfig) -> Served:
    """A real server on loopback: throughput per concurrency level, a burst, its peak RSS."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "reportqa.api.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        http = {f"c{c}": _http_load(url, questions, c, config.http_seconds) for c in config.concurrency}
        burst = _burst(url, questions, config.burst)
        return Served(http=http, burst=burst, rss_mb=_peak_rss_mb(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_bench(settings: Settings, config: BenchConfig) -> BenchResult:
    """Run every measurement on a fresh index in a temporary folder."""
    from reportqa.index.embedder import build_embedder
    from reportqa.segment import Tokenizer
    from reportqa.service import build_index, load_components, read_corpus

    questions = [q.question for q in load_questions(config.questions)]
    if config.max_questions:
        questions = questions[: config.max_questions]
    work = Path(tempfile.mkdtemp(prefix="reportqa-bench-"))
    try:
        corpus_dir = settings.corpus_dir
        if config.docs > 1:
            text = read_corpus(settings)[0].text
            corpus_dir = work / "corpus"
            synthetic_corpus(text, config.docs, corpus_dir)
        bench = settings.model_copy(update={"index_dir": work / "index", "corpus_dir": corpus_dir})
        env = {**os.environ, "REPORTQA_INDEX_DIR": str(bench.index_dir),
               "REPORTQA_CORPUS_DIR": str(Path(corpus_dir).resolve()), "HF_HUB_OFFLINE": "1"}

        cold_build_s = None
        if config.cold:  # a fresh process, model load included
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "reportqa.cli", "index"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cold_build_s = round(time.perf_counter() - began, 2)
            shutil.rmtree(bench.index_dir)

        embedder = build_embedder(bench)
        report = build_index(bench, embedder, Tokenizer())
        build = BuildFigures(
            cold_build_s=cold_build_s, build_s=round(report.seconds, 2), embed_build_s=round(report.embed_seconds, 2),
            passages=report.passages, passages_per_s=round(report.passages / report.seconds, 1),
            index_mb=round(sum(p.stat().st_size for p in bench.index_dir.iterdir()) / 2**20, 2),
        )
        adding = _add_one(bench, embedder, work) if config.docs > 1 else None
        comps = load_components(bench, embedder=embedder)
        in_process = _in_process(comps, embedder, questions)
        served = _over_http(env, questions, config)
        reference = _reference(embedder, [d.text for d in comps.documents.values()], questions) if config.reference else None
        return BenchResult(questions=len(questions), docs=config.docs, build=build, in_process=in_process,
                           served=served, cores=os.cpu_count(), reference=reference, adding=adding)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _add_one(settings: Settings, embedder: Any, work: Path) -> AddFigures:
    """Add one more report to the built index, and index that report alone: the
    add should cost about the report's own indexing, whatever the index holds."""
    from reportqa.segment import Tokenizer
    from reportqa.service import add_reports, build_index, read_corpus, remove_report

    text = read_corpus(settings)[-1].text
    extra = synthetic_corpus(text, 2, work / "extra", seed=99)[1].rename(work / "one-more-report.txt")
    tokenizer = Tokenizer()
    began = time.perf_counter()
    added = add_reports(settings, embedder, tokenizer, [extra])
    add_s = time.perf_counter() - began
    remove_report(settings, embedder, tokenizer, "one-more-report")
    alone = settings.model_copy(update={"corpus_dir": work / "alone", "index_dir": work / "alone-index"})
    alone.corpus_dir.mkdir()
    shutil.copyfile(extra, alone.corpus_dir / extra.name)
    began = time.perf_counter()
    build_index(alone, embedder, tokenizer)
    alone_s = time.perf_counter() - began
    return AddFigures(add_one_s=round(add_s, 2), index_one_alone_s=round(alone_s, 2),
                      embedded_sentences=added.sentences)


def _reference(embedder: Any, texts: list[str], questions: list[str]) -> ReferenceFigures | None:
    try:
        from reportqa.bench.reference import ReferencePipeline

        pipeline = ReferencePipeline(embedder)
        build_s = pipeline.build(texts)
    except ImportError as exc:
        print(f"reportqa: reference pipeline skipped ({exc}): pip install .[bench]", file=sys.stderr)
        return None
    times = []
    for q in questions:
        t = time.perf_counter()
        pipeline.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    stats = _stats(times)
    return ReferenceFigures(build_s=round(build_s, 2), ask_p50_ms=stats.p50_ms, ask_p95_ms=stats.p95_ms)


def _adding_rows(result: dict[str, Any]) -> list[str]:
    add = result.get("add_one")
    if not add:
        return []
    return [f"| add one report to the {result['docs']} (s) / index it alone (s) / ratio | "
            f"{add['add_one_s']} / {add['index_one_alone_s']} / {add['ratio']} |",
            f"| sentences embedded by the add | {add['embedded_sentences']} |"]


def write_bench_report(bench: BenchResult, folder: Path, command: str) -> Path:
    """Markdown table and a latency plot, written from the figures as ``--json`` prints them."""
    result = bench.to_json()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    ref = result.get("reference") or {}
    lines = [
        "# reportqa benchmark", "", f"Command: `{command}`", "",
        f"{result['questions']} questions, {result['docs']} document(s), {result['passages']} passages, "
        f"{result.get('cores')} cores.", "",
        "| figure | reportqa | reference | ratio |", "|---|---|---|---|",
        f"| index build (s) | {result['build_s']} | {ref.get('build_s', '-')} | "
        f"{result.get('build_vs_reference')} |",
        f"| ask p50 (ms) | {result['ask_p50_ms']} | {ref.get('ask_p50_ms', '-')} | "
        f"{result.get('ask_vs_reference')} |",
        f"| ask p95 (ms) | {result['ask_p95_ms']} | {ref.get('ask_p95_ms', '-')} | |",
        "", "| figure | value |", "|---|---|",
        f"| cold build, process start to index written (s) | {result['cold_build_s']} |",
        f"| embedding part of the build (s) | {result['embed_build_s']} |",
        f"| passages per second | {result['passages_per_s']} |",
        f"| index size (MB) | {result['index_mb']} |",
        f"| query embedding p50 (ms) | {result['embed_p50_ms']} |",
        *[f"| search p50 {m} (ms) | {v} |" for m, v in result["search_p50_ms"].items()],
        f"| ask / embedding forward | {result['ask_over_embed']} |",
        f"| model forwards per question | {result['forwards_per_question']} |",
        f"| answer step p50 / max over the questions (ms) | {result['answer_step_ms']['p50']} / "
        f"{result['answer_step_ms']['max']} |",
        *[f"| answer step, 500-character {k} question (ms) | {v} |"
          for k, v in result["odd_answer_step_ms"].items()],
        f"| server peak RSS (MB) | {result['rss_mb']} |",
        *_adding_rows(result),
        "", "| HTTP | rps | p50 ms | p99 ms | errors |", "|---|---|---|---|---|",
        *[f"| {k} | {v['rps']} | {v['p50_ms']} | {v['p99_ms']} | {v['errors']} |"
          for k, v in result["http"].items()],
        "", f"Burst of {result['burst']['clients']} asks at once: {result['burst']['accepted']} accepted "
        f"(p99 {result['burst']['accepted_p99_ms']} ms), {result['burst']['rejected_503']} turned away with 503 "
        f"(p50 {result['burst']['rejected_p50_ms']} ms, p99 {result['burst']['rejected_p99_ms']} ms), "
        f"{result['burst']['other_errors']} other errors.",
        "", "![latency](latency.png)", "",
    ]
    path = folder / "bench.md"
    path.write_text("\n".join(lines), "utf-8")
    labels = ["embed", "search hybrid", "ask", "reference ask"]
    values = [result["embed_p50_ms"], result["search_p50_ms"]["hybrid"], result["ask_p50_ms"],
              ref.get("ask_p50_ms", 0)]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(labels, values, color=["#8aa", "#6a8", "#2a6", "#c66"])
    ax.set_ylabel("p50 latency (ms)")
    ax.set_title("In-process latency per question")
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=100)
    plt.close(fig)
    return path
