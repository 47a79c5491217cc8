"""Shared fixtures. Every test is hermetic: no credentials, no network beyond 127.0.0.1."""

from __future__ import annotations

import os

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
