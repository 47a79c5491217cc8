"""The extraction cache in the database: the same lead under the same rubric and model is
answered from here, with no second model call. Implements qualifiers' `ExtractionCache`:
a batch of keys is one SELECT, a batch of answers one multi-row INSERT."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.store.database import Database, insert_many, utcnow
from bot.store.tables import ExtractionCacheRow
from qualifiers.extract.cache import CacheEntry
from qualifiers.models import Extraction

logger = logging.getLogger(__name__)

KEYS_PER_QUERY = 500  # bound values per SELECT ... IN (...), well under every driver's limit
_TABLE = ExtractionCacheRow.__table__


class DatabaseExtractionCache:
    """Storage trouble never fails a qualification: a miss costs one model call, nothing more."""

    def __init__(self, database: Database):
        self.database = database

    def get_many(self, keys: Sequence[str]) -> dict[str, Extraction]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Extraction] = {}
        try:
            with self.database.session() as session:
                for start in range(0, len(wanted), KEYS_PER_QUERY):
                    chunk = wanted[start : start + KEYS_PER_QUERY]
                    rows = session.execute(
                        select(_TABLE.c.key, _TABLE.c.extraction).where(_TABLE.c.key.in_(chunk))
                    )
                    found.update((key, Extraction.model_validate(data)) for key, data in rows)
        except (SQLAlchemyError, ValidationError):
            logger.exception("extraction cache read failed; asking the model")
            return {}
        return found

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        """One INSERT for the batch; a key cached meanwhile (another worker, the same lead
        twice in the batch) keeps its first answer: both are equally good."""
        rows = list(
            {
                key: (
                    key,
                    extraction.model_dump_json(),
                    usage.model_dump_json() if usage else json.dumps(None),
                )
                for key, extraction, usage in entries
            }.values()
        )
        try:
            with self.database.session() as session:
                insert_many(
                    session,
                    _TABLE,
                    ("key", "extraction", "usage"),
                    rows,
                    constants={"created_at": utcnow()},
                    unique="key",
                )
                session.commit()
        except SQLAlchemyError:
            logger.exception("extraction cache write failed")
