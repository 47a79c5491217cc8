"""Where a model's extractions are remembered, so the same lead is never paid for twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qualifiers.models import Extraction, Usage

CacheEntry = tuple[str, Extraction, Usage | None]  # key, the model's proposed answers, usage


class ExtractionCache(Protocol):
    """Keyed by a hash of lead content, rubric version, model and prompt (see llm.cache_key).
    Read and written a batch at a time: a bulk run costs one lookup and one write per batch.

    Implementations must not raise on storage trouble: a cache that cannot answer returns
    no entries, and a failed `put_many` is only logged.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, Extraction]: ...

    def put_many(self, entries: Sequence[CacheEntry]) -> None: ...
