"""Pytest fixtures for the fakes, kept out of conftest.py so a conftest can import them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from .openai_api import FakeOpenAI
from .slack_api import FakeSlackAPI

# Variables that could point clients at real services or change which endpoint
# langchain-openai calls (LC_OUTPUT_VERSION switches it to the Responses API).
_SERVICE_ENV_PREFIXES = ("OPENAI_", "SLACK_", "LANGCHAIN_", "LANGSMITH_", "LC_")
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture
def clean_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop service credentials, tracing and proxy settings so traffic stays local."""
    for name in list(os.environ):
        if name.upper().startswith(_SERVICE_ENV_PREFIXES) or name.lower() in _PROXY_VARS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake_slack(clean_service_env: None) -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def fake_openai(clean_service_env: None) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def slack_client(fake_slack: FakeSlackAPI) -> WebClient:
    """A real WebClient bound to ``fake_slack`` with a bot token."""
    return WebClient(token="xoxb-test-token", base_url=fake_slack.url)
