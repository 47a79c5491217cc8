"""Where a model's extractions are remembered, so the same lead is never paid for twice."""

from __future__ import annotations

from typing import Protocol

from qualifiers.models import Extraction, Usage


class ExtractionCache(Protocol):
    """Keyed by a hash of lead content, rubric version, model and prompt (see llm.cache_key).

    Implementations must not raise on storage trouble: a cache that cannot answer returns
    None, and a failed `put` is only logged.
    """

    def get(self, key: str) -> Extraction | None: ...

    def put(self, key: str, extraction: Extraction, usage: Usage | None) -> None: ...
