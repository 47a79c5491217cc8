"""Audit trail of rubric replacements made from Slack: who, when, old and new version, YAML."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.database import Database, utcnow
from bot.store.tables import RubricChangeRow


class RubricChange(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    old_version: str | None
    new_version: str
    rubric_yaml: str
    created_at: datetime


class RubricChangeLog:
    """Inside a unit of work: the entry commits with the use case, or not at all."""

    def __init__(self, session: Session):
        self.session = session

    def add(
        self, *, actor: str, old_version: str | None, new_version: str, rubric_yaml: str
    ) -> RubricChange:
        row = RubricChangeRow(
            actor=actor,
            old_version=old_version,
            new_version=new_version,
            rubric_yaml=rubric_yaml,
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return RubricChange.model_validate(row)

    def recent(self, limit: int = 50) -> list[RubricChange]:
        """The most recent replacements, newest first."""
        query = select(RubricChangeRow).order_by(RubricChangeRow.id.desc()).limit(limit)
        return [RubricChange.model_validate(row) for row in self.session.scalars(query)]


def rubric_changes(database: Database, limit: int = 50) -> list[RubricChange]:
    """For reports (`leadbot rubric history`): the most recent replacements, newest first."""
    with database.session() as session:
        return RubricChangeLog(session).recent(limit)
