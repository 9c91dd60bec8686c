"""What the command-line shells share: settings from the environment with
the flags the user gave on top, validated once, and the loaded components."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reportqa.errors import UsageError
from reportqa.settings import MAX_TOP_K, Settings

# flag (argparse dest) -> setting; a flag the user did not give is None and changes nothing
FLAGS = {"corpus_dir": "corpus_dir", "index_dir": "index_dir", "host": "host", "port": "port", "k": "top_k",
         "mode": "mode", "store": "store", "milvus_uri": "milvus_uri"}


def settings_from(args: argparse.Namespace) -> Settings:
    """``REPORTQA_*`` settings with the given flags on top, validated together."""
    overrides: dict[str, Any] = {}
    for flag, setting in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[setting] = Path(value) if setting.endswith("_dir") else value
    if "top_k" in overrides and not 1 <= overrides["top_k"] <= MAX_TOP_K:
        raise UsageError(f"--k must be between 1 and {MAX_TOP_K}")
    return Settings(**overrides)


def flag_environment(args: argparse.Namespace) -> dict[str, str]:
    """The flags given, as the ``REPORTQA_*`` variables they stand for (for a
    process or factory that reads its settings from the environment)."""
    out = {}
    for flag, setting in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            out[f"REPORTQA_{setting.upper()}"] = str(Path(value).resolve() if setting.endswith("_dir") else value)
    return out


def components(args: argparse.Namespace) -> Any:
    """The loaded service for the settings of ``args``."""
    from reportqa.service import load_components

    return load_components(settings_from(args))


def setting_error(exc: ValidationError) -> str:
    """One line naming the environment variable of each bad setting."""
    return "; ".join(f"REPORTQA_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']} (got {e.get('input')!r})"
                     for e in exc.errors())
