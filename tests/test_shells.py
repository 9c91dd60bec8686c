"""The shells over the hash-embedder index: settings from the environment
take effect for every command and flags override them; a user's error is one
line and exit 2; a bug is a traceback (exit 1) or a logged 500."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conftest import DOC_ID, free_port, running_server
from reportqa import cli
from reportqa.api.app import create_app
from reportqa.retrieval import Retriever
from reportqa.service import Components
from reportqa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def hash_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {"REPORTQA_INDEX_DIR": str(settings.index_dir), "REPORTQA_CORPUS_DIR": str(settings.corpus_dir),
            "REPORTQA_EMBEDDING_BACKEND": "hash", **extra}


def test_top_k_from_the_environment_and_the_flag(hash_copy: Settings, run_cli: Callable[..., object]) -> None:
    def hits(*flags: str, **env: str) -> int:
        result = run_cli("search", "数字贸易", "--json", *flags, env=hash_env(hash_copy, **env))
        assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
        return len(json.loads(result.stdout))  # type: ignore[attr-defined]

    assert hits() == 5
    assert hits(REPORTQA_TOP_K="3") == 3
    assert hits("--k", "7", REPORTQA_TOP_K="3") == 7
    result = run_cli("search", "数字贸易", "--k", "21", env=hash_env(hash_copy))
    assert result.returncode == 2  # type: ignore[attr-defined]
    assert result.stderr.strip() == "reportqa: error: --k must be between 1 and 20"  # type: ignore[attr-defined]


@pytest.mark.parametrize("shard", ["3/2", "0/2", "1-2", "a/b"])
def test_a_bad_shard_is_one_line(run_cli: Callable[..., object], hash_copy: Settings, shard: str) -> None:
    result = run_cli("index", "--shard", shard, env=hash_env(hash_copy))
    assert result.returncode == 2  # type: ignore[attr-defined]
    assert result.stderr.strip() == (  # type: ignore[attr-defined]
        f"reportqa: error: --shard {shard!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4")


def test_top_k_from_the_settings_for_http_search(hash_index: tuple[Settings, Components]) -> None:
    settings, components = hash_index
    app = create_app(settings.model_copy(update={"top_k": 2}), components=components)
    with TestClient(app) as client:
        assert len(client.get("/search", params={"q": "数字贸易"}).json()) == 2
        assert len(client.get("/search", params={"q": "数字贸易", "k": 4}).json()) == 4


@pytest.mark.slow
@pytest.mark.parametrize("by", ["environment", "flag"])
def test_serve_listens_where_the_settings_say(hash_copy: Settings, tmp_path: Path, by: str) -> None:
    port = free_port()
    env = {**os.environ, **hash_env(hash_copy), "REPORTQA_PORT": str(port if by == "environment" else free_port())}
    flags = ["--port", str(port)] if by == "flag" else []
    command = [str(Path(sys.executable).parent / "reportqa"), "serve", *flags]
    with running_server(env, tmp_path / "serve.log", 60, command, port) as url:
        assert url == f"http://127.0.0.1:{port}"
    assert f"on http://127.0.0.1:{port}/" in (tmp_path / "serve.log").read_text()


def broken_search(self: Retriever, *args: object, **kwargs: object) -> object:
    raise KeyError("a bug")


def test_a_bug_is_a_traceback_on_the_cli(hash_copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in hash_env(hash_copy).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(Retriever, "search_vector", broken_search)
    with pytest.raises(KeyError, match="a bug"):  # not turned into one line: Python prints it, exit 1
        cli.main(["search", "数字贸易"])


def test_a_bug_is_a_logged_500_on_http(hash_index: tuple[Settings, Components], monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    settings, components = hash_index
    monkeypatch.setattr(Retriever, "search_vector", broken_search)
    with caplog.at_level(logging.ERROR), TestClient(create_app(settings, components=components),
                                                    raise_server_exceptions=False) as client:
        response = client.get("/search", params={"q": "数字贸易"})
    assert response.status_code == 500
    assert any("KeyError" in (r.exc_text or "") or "a bug" in r.getMessage() or r.exc_info
               for r in caplog.records if r.levelno >= logging.ERROR)


def test_dependencies_can_be_overridden(hash_index: tuple[Settings, Components]) -> None:
    from reportqa.api.deps import get_settings

    settings, components = hash_index
    app = create_app(settings, components=components)
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(update={"top_k": 1})
    with TestClient(app) as client:
        assert len(client.get("/search", params={"q": "数字贸易"}).json()) == 1


@pytest.mark.slow
def test_cli_search_json(real_components: Components, run_cli) -> None:
    query = "中国可数字化交付的服务进出口额是多少"
    result = run_cli(
        "search", query, "--k", "5", "--mode", "hybrid", "--json",
        env={
            "REPORTQA_INDEX_DIR": str(real_components.settings.index_dir),
            "REPORTQA_CORPUS_DIR": str(real_components.settings.corpus_dir),
            "HF_HUB_OFFLINE": "1",
        },
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    keys = {"id", "score", "rank", "kind", "text", "section_path", "page_start", "page_end", "start",
            "end", "doc_id"}
    assert len(data) == 5
    assert all(set(hit) == keys for hit in data)
    assert [hit["rank"] for hit in data] == [1, 2, 3, 4, 5]
    assert [hit["score"] for hit in data] == sorted((hit["score"] for hit in data), reverse=True)
    expected = real_components.retriever.search(query, 5, "hybrid")
    assert [hit["id"] for hit in data] == [h.passage.id for h in expected]
    first = expected[0].passage
    assert data[0]["text"] == first.text
    assert data[0]["section_path"] == list(first.section_path)
    assert (data[0]["start"], data[0]["end"]) == (first.start, first.end)
    assert data[0]["doc_id"] == DOC_ID
