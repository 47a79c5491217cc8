"""The extraction cache in the database: the same lead under the same rubric and model is
answered from here, with no second model call. Implements qualifiers' `ExtractionCache`."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.store.database import Database, utcnow
from bot.store.tables import ExtractionCacheRow
from qualifiers.models import Extraction, Usage

logger = logging.getLogger(__name__)


class DatabaseExtractionCache:
    """Storage trouble never fails a qualification: a miss costs one model call, nothing more."""

    def __init__(self, database: Database):
        self.database = database

    def get(self, key: str) -> Extraction | None:
        try:
            with self.database.session() as session:
                row = session.get(ExtractionCacheRow, key)
                if row is None:
                    return None
                return Extraction.model_validate(row.extraction)
        except (SQLAlchemyError, ValidationError):
            logger.exception("extraction cache read failed; asking the model")
            return None

    def put(self, key: str, extraction: Extraction, usage: Usage | None) -> None:
        row = ExtractionCacheRow(
            key=key,
            extraction=extraction.model_dump(mode="json"),
            usage=usage.model_dump(mode="json") if usage else None,
            created_at=utcnow(),
        )
        try:
            with self.database.session() as session:
                session.add(row)
                session.commit()
        except IntegrityError:
            pass  # another worker cached the same lead first; both answers are equally good
        except SQLAlchemyError:
            logger.exception("extraction cache write failed")
