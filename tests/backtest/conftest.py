"""Fixtures for the back-test tests: a generated history CSV and rubrics as files."""

from __future__ import annotations

from pathlib import Path

import pytest
from backtest_helpers import BAD_RUBRIC, GOOD_RUBRIC, history_rows, write_csv


@pytest.fixture
def history_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "history.csv", history_rows(600))


@pytest.fixture
def good_rubric(tmp_path) -> Path:
    path = tmp_path / "plans.yaml"
    path.write_text(GOOD_RUBRIC, encoding="utf-8")
    return path


@pytest.fixture
def bad_rubric(tmp_path) -> Path:
    path = tmp_path / "plans-backwards.yaml"
    path.write_text(BAD_RUBRIC, encoding="utf-8")
    return path
