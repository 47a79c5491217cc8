"""Test doubles for the LLM qualifier: a scripted LangChain chat model, reply builders, a stub
of the offline rules and an in-memory cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from qualifiers.extract.schema import OUTPUT_NAME
from qualifiers.models import Extraction, Lead, Usage
from qualifiers.rubric import Rubric

Script = AIMessage | BaseException | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(GenericFakeChatModel):
    """Answers each call with the next scripted item: an AIMessage, an exception to raise, or
    a function of the prompt. Records every prompt it was sent.

    `bind_tools` returns the model itself, so `with_structured_output` drives it through tool
    calls named after the pydantic class, as it drives any tool-calling provider.
    """

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        item = next(self.messages)
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            item = item(messages)
        return ChatResult(generations=[ChatGeneration(message=item)])


def scripted(*items: Script) -> ScriptedChatModel:
    return ScriptedChatModel(messages=iter(items))


def answer(evidence: str | None, value: Any, confidence: float = 0.9, **extra: Any) -> dict:
    return {"evidence": evidence, "value": value, "confidence": confidence, **extra}


def reply(
    criteria: dict[str, dict] | None = None,
    knockouts: list[dict] | None = None,
    *,
    input_tokens: int = 900,
    output_tokens: int = 120,
) -> AIMessage:
    """The AIMessage a tool-calling model sends when it fills in the answer sheet."""
    return AIMessage(
        content="",
        tool_calls=[
            {
                "name": OUTPUT_NAME,
                "args": {"criteria": criteria or {}, "knockouts": knockouts or []},
                "id": "call_1",
            }
        ],
        usage_metadata={
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    )


@dataclass
class StubOffline:
    """Stands in for the offline rules where a test needs to know exactly what they find."""

    extraction: Extraction = field(default_factory=Extraction)
    name: str = "offline"
    calls: int = 0

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, Usage | None]:
        self.calls += 1
        return self.extraction.model_copy(deep=True), None


class MemoryCache:
    """A dict behind the ExtractionCache protocol; counts the batch reads and writes."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Extraction, Usage | None]] = {}
        self.reads: list[list[str]] = []
        self.writes: list[list[str]] = []

    def get_many(self, keys: Sequence[str]) -> dict[str, Extraction]:
        self.reads.append(list(keys))
        return {key: self.entries[key][0] for key in keys if key in self.entries}

    def put_many(self, entries: Sequence[tuple[str, Extraction, Usage | None]]) -> None:
        self.writes.append([key for key, _, _ in entries])
        for key, extraction, usage in entries:
            self.entries.setdefault(key, (extraction, usage))
