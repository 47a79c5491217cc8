"""Shared fixtures. Every test is hermetic: no credentials, no network beyond 127.0.0.1.

Everything the suite needs is in the repository. Two kinds of reference material may sit
outside it and are used when present: ../shared/slack-payloads/ (Slack's own fixtures, which
the payloads in tests/slack/payloads/ are checked against) and the real lead datasets, in
LEADBOT_DATASETS or else ../shared/datasets/. Tests that need them are reported as skipped,
with the reason and where to put the files, when they are missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.store_probe import StoreProbe

from qualifiers.rubric import Rubric, load_rubric

pytest_plugins = ["fakes.fixtures"]

SCRUBBED_PREFIXES = (
    "SLACK_",
    "OPENAI_",
    "LEADBOT_",
    "LANGCHAIN_",
    "LANGSMITH_",
    "LC_",
    "ANTHROPIC_",
    "HUBSPOT_",
)
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
# Read at import: the autouse `hermetic_env` fixture scrubs LEADBOT_* before each test.
DATASETS = Path(os.environ.get("LEADBOT_DATASETS") or SHARED / "datasets")
# .ci/run sets it where the material is meant to be there: missing, it fails instead of skips.
REFERENCE_REQUIRED = os.environ.get("LEADBOT_REFERENCE_REQUIRED") == "1"


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No real credentials or settings leak in, and no `.env` in the checkout is read."""
    for name in list(os.environ):
        if name.upper().startswith(SCRUBBED_PREFIXES) or name.lower() in PROXY_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return load_rubric()


@pytest.fixture
def repo(tmp_path) -> StoreProbe:
    """A fresh, migrated SQLite database per test."""
    repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'leadbot.db'}")
    yield repository
    repository.engine.dispose()


REFERENCE_FIXTURES = {"dataset", "shared_slack_payloads"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use material from outside the repository: `pytest -m reference`
    runs just those (.ci/run does, beside ../shared, after the suite ran without it)."""
    for item in items:
        if REFERENCE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("reference")


@pytest.fixture
def dataset() -> Callable[..., Path]:
    """`dataset("x-education-leads", "Leads.csv")`: that file under the datasets folder; the
    test is skipped, saying where the file should be, when it is not there."""

    def find(*parts: str) -> Path:
        path = DATASETS.joinpath(*parts)
        if not path.is_file():
            _not_present(
                f"dataset not present: put {parts[-1]} at {path} "
                f"(or set LEADBOT_DATASETS to a folder holding {Path(*parts)})"
            )
        return path

    return find


@pytest.fixture(scope="session")
def shared_slack_payloads() -> Path:
    """../shared/slack-payloads/, Slack's own request fixtures; skips the test when absent."""
    path = SHARED / "slack-payloads"
    if not path.is_dir():
        _not_present(f"reference payloads not present: Slack's fixtures go in {path}")
    return path


def _not_present(reason: str) -> None:
    if REFERENCE_REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)
