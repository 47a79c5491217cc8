"""Fixtures for the LLM qualifier tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llm_fakes import ScriptedChatModel, StubOffline

from qualifiers.extract.llm import LLMExtractor


@pytest.fixture
def make_extractor() -> Callable[..., LLMExtractor]:
    """An LLMExtractor around a scripted model; offline rules stubbed unless given."""

    def make(model: ScriptedChatModel, offline: Any = None, **options: Any) -> LLMExtractor:
        return LLMExtractor(
            model,
            model_name="openai:gpt-4o-mini",
            fallback=offline if offline is not None else StubOffline(),
            **options,
        )

    return make
