"""The README's store table from ``eval/reports/stores/*.json`` (written by
``reportqa bench --store S --docs N [--fake-embedder] --json eval/reports/stores/<kind>-<S>-<N>.json``).

    .venv/bin/python eval/stores_table.py
"""

from __future__ import annotations

import json
from pathlib import Path


def main() -> int:
    rows = [json.loads(p.read_text("utf-8")) for p in Path("eval/reports/stores").glob("*.json")]
    rows.sort(key=lambda r: (not r["fake_embedder"], r["docs"], r["store"]))
    print("| embedder | N | store | passages | build s | add one s | load s | serving RSS + MB (loaded / after asks) | Milvus RSS MB "
          "| disk MB | search p50 / p99 ms (hybrid) | dense p50 | BM25 p50 | ask p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {'fake' if r['fake_embedder'] else 'model'} | {r['docs']} | {r['store']} | {r['passages']} "
              f"| {r['build_s']} | {r['add_one_s']} | {r['load_s']} | {r['serving_rss_growth_mb']} / {r.get('serving_rss_after_asks_mb') or '–'} "
              f"| {r['milvus_rss_mb'] if r['milvus_rss_mb'] is not None else '–'} | {r['disk_mb']} "
              f"| {r['search_p50_ms']['hybrid']} / {r['search_p99_ms']['hybrid']} | {r['search_p50_ms']['dense']} "
              f"| {r['search_p50_ms']['bm25']} | {r['ask_p50_ms']} / {r['ask_p99_ms']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
