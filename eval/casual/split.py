"""Split the helpers' casual-wording questions at random into dev and test.

Usage: python eval/casual/split.py part_a.jsonl part_b.jsonl part_c.jsonl
Writes eval/casual/dev.jsonl and eval/casual/test.jsonl (seed 20261201, half each,
stratified by answerable so both halves keep the share of unanswerable questions).
"""

import json
import random
import sys
from pathlib import Path

rows = [json.loads(line) for f in sys.argv[1:] for line in Path(f).read_text("utf-8").splitlines() if line.strip()]
rng = random.Random(20261201)
dev, test = [], []
for answerable in (True, False):
    group = [r for r in rows if r["answerable"] is answerable]
    rng.shuffle(group)
    dev += group[: len(group) // 2]
    test += group[len(group) // 2 :]
out = Path(__file__).parent
for name, part in (("dev", dev), ("test", test)):
    part.sort(key=lambda r: r["id"])
    (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
    print(name, len(part), sum(not r["answerable"] for r in part))
