"""The abstention threshold, calibrated on the question set.

``reportqa calibrate`` runs the questions, records each answer's support
score, and picks the threshold that maximises accuracy; it is stored per
embedding model in ``calibration.json`` beside this module.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_THRESHOLD = 0.5


def calibration_path() -> Path:
    """Where the calibration file lives (inside the package)."""
    return Path(str(resources.files("reportqa.answer") / "calibration.json"))


def load_threshold(model_id: str) -> float:
    """The calibrated threshold for ``model_id``, or the default."""
    path = calibration_path()
    if not path.is_file():
        return DEFAULT_THRESHOLD
    data = json.loads(path.read_text("utf-8"))
    entry = data.get(model_id) or {}
    return float(entry.get("threshold", DEFAULT_THRESHOLD))


def best_threshold(supports: list[float], answerable: list[bool], right_if_answered: list[bool]) -> float:
    """The threshold maximising accuracy: answerable questions count when
    answered and right, unanswerable ones when their support is below it.
    Ties go to the threshold with fewer false abstentions (the lower one)."""
    candidates = sorted(set(supports)) + [max(supports, default=0.0) + 1e-6]
    best, best_acc = 0.0, -1.0
    for t in candidates:
        acc = sum(
            (s >= t and ok) if a else (s < t)
            for s, a, ok in zip(supports, answerable, right_if_answered, strict=True)
        )
        if acc > best_acc:
            best, best_acc = t, acc
    return best


def save_threshold(model_id: str, threshold: float, details: dict[str, Any]) -> Path:
    """Store the threshold for ``model_id``."""
    path = calibration_path()
    data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    data[model_id] = {"threshold": round(threshold, 4), **details}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path
