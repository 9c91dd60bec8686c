"""Settings: bad REPORTQA_* values are refused with one line naming the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reportqa.cli import setting_error
from reportqa.settings import Settings


@pytest.mark.parametrize(("name", "value"), [
    ("top_k", 0), ("embedding_workers", 0), ("dense_weight", 1.5), ("chunk_overlap_sentences", -1),
    ("port", 70000),
])
def test_out_of_range_settings_are_refused(name: str, value: float) -> None:
    with pytest.raises(ValidationError):
        Settings(**{name: value})


def test_setting_error_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_TOP_K", "-1")
    monkeypatch.setenv("REPORTQA_EMBEDDING_THREADS", "abc")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert setting_error(caught.value) == (
        "REPORTQA_EMBEDDING_THREADS: Input should be a valid integer, unable to parse string as an integer "
        "(got 'abc'); REPORTQA_TOP_K: Input should be greater than or equal to 1 (got '-1')"
    )


def test_cli_refuses_a_bad_setting_in_one_line(run_cli) -> None:
    result = run_cli("search", "数字贸易", env={"REPORTQA_EMBEDDING_WORKERS": "0"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "reportqa: error: REPORTQA_EMBEDDING_WORKERS: Input should be greater than or equal to 1 (got '0')"]
