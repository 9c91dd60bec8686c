"""Markdown report and bar chart of an evaluation."""

from __future__ import annotations

from pathlib import Path

from reportqa.evaluation.results import EvalResult
from reportqa.evaluation.runner import TYPES


def write_report(results: dict[str, EvalResult], folder: Path, command: str) -> Path:
    """Write ``report.md`` and ``accuracy_by_type.png`` for one or more modes."""
    folder.mkdir(parents=True, exist_ok=True)
    modes = list(results)
    lines = ["# reportqa evaluation", "", f"Command: `{command}`", "",
             "| mode | questions | recall@1 | recall@3 | recall@5 | recall@10 | mrr@10 | ndcg@10 "
             "| accuracy | char F1 | abstain P | abstain R | false abstain | cite P | cite R "
             "| p50 ms | p95 ms |",
             "|---" * 17 + "|"]
    for mode, r in results.items():
        ret, ab = r.retrieval, r.abstention
        lines.append(
            f"| {mode} | {r.questions} | {ret['recall@1']:.3f} | {ret['recall@3']:.3f} "
            f"| {ret['recall@5']:.3f} | {ret['recall@10']:.3f} | {ret['mrr@10']:.3f} "
            f"| {ret['ndcg@10']:.3f} | {r.accuracy:.3f} | {r.char_f1:.3f} "
            f"| {ab.precision:.3f} | {ab.recall:.3f} | {ab.false_abstention_rate:.3f} "
            f"| {r.citation_precision:.3f} | {r.citation_recall:.3f} | {r.latency_p50_ms:.1f} "
            f"| {r.latency_p95_ms:.1f} |"
        )
    lines += ["", "## Accuracy and recall@5 by type", "",
              "| type | n | " + " | ".join(f"{m} acc | {m} R@5" for m in modes) + " |",
              "|---" * (2 + 2 * len(modes)) + "|"]
    for t in TYPES:
        if t not in results[modes[0]].by_type:
            continue
        cells = []
        for m in modes:
            bt = results[m].by_type[t]
            r5 = "-" if bt.recall_at_5 is None else f"{bt.recall_at_5:.3f}"
            cells.append(f"{bt.accuracy:.3f} | {r5}")
        lines.append(f"| {t} | {results[modes[0]].by_type[t].n} | " + " | ".join(cells) + " |")
    for mode, r in results.items():
        lines += ["", f"## Failures ({mode}): {len(r.failures)}", ""]
        for q in r.failures:
            lines.append(f"- **{q.id}** ({q.type}) {q.question} — expected "
                         f"{'、'.join(q.must_include) or '(abstain)'}; got: "
                         f"{q.answer[:120]} (first relevant rank {q.first_relevant_rank})")
    lines += ["", "![accuracy by type](accuracy_by_type.png)", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines), "utf-8")

    _chart(results, folder / "accuracy_by_type.png")
    return path


def _chart(results: dict[str, EvalResult], path: Path) -> None:
    """Bars of accuracy by question type, one colour per mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(results)
    types = [t for t in TYPES if t in results[modes[0]].by_type]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(modes)
    for k, mode in enumerate(modes):
        values = [results[mode].by_type[t].accuracy for t in types]
        ax.bar([i + k * width for i in range(len(types))], values, width, label=mode)
    ax.set_xticks([i + width * (len(modes) - 1) / 2 for i in range(len(types))])
    ax.set_xticklabels(types, rotation=30)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title("Answer accuracy by question type")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

