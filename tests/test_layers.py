"""The import contract of pyproject.toml: kept by the code, and broken by an
import of the command line from the HTTP API (checked on a copy of the package)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=src.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_are_kept() -> None:
    result = lint(ROOT / "src")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_api_importing_the_cli_breaks_the_contract(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "reportqa", src / "reportqa", ignore=shutil.ignore_patterns("__pycache__"))
    init = src / "reportqa" / "api" / "__init__.py"
    init.write_text(init.read_text("utf-8") + "\nimport reportqa.cli  # noqa: F401\n", "utf-8")
    result = lint(src)
    assert result.returncode == 1
    assert "pipeline layers BROKEN" in result.stdout
    assert "reportqa.api -> reportqa.cli" in result.stdout


def long_functions(src: Path, limit: int = 60) -> list[str]:
    """Functions of more than ``limit`` lines whose docstring does not say why they are long."""
    out = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit and "longer than" not in (ast.get_docstring(node) or ""):
                    out.append(f"{path.relative_to(src)}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_no_function_is_longer_than_60_lines_unless_it_says_why(tmp_path: Path) -> None:
    assert long_functions(ROOT / "src") == []
    (tmp_path / "m.py").write_text("def f():\n" + "    x = 1\n" * 61, "utf-8")
    assert long_functions(tmp_path) == ["m.py:1 f (62 lines)"]
