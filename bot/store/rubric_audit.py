"""Audit trail of rubric replacements made from Slack: who, when, old and new version, YAML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from bot.store.repository import Repository, utcnow
from bot.store.tables import RubricChangeRow


class RubricChange(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    old_version: str | None
    new_version: str
    rubric_yaml: str
    created_at: datetime


def record_rubric_change(
    repository: Repository,
    *,
    actor: str,
    old_version: str | None,
    new_version: str,
    rubric_yaml: str,
    apply: Callable[[], None],
) -> RubricChange:
    """Insert the audit entry and run `apply` (e.g. write the rubric file) in one transaction.

    The entry is committed only after `apply` returns, so a change that failed to apply
    leaves no audit entry; if `apply` raises, the exception propagates unchanged.
    """
    row = RubricChangeRow(
        actor=actor,
        old_version=old_version,
        new_version=new_version,
        rubric_yaml=rubric_yaml,
        created_at=utcnow(),
    )
    with repository.session() as session:
        session.add(row)
        session.flush()
        apply()
        session.commit()
        return RubricChange.model_validate(row)


def rubric_changes(repository: Repository, limit: int = 50) -> list[RubricChange]:
    """The most recent replacements, newest first."""
    query = select(RubricChangeRow).order_by(RubricChangeRow.id.desc()).limit(limit)
    with repository.session() as session:
        return [RubricChange.model_validate(row) for row in session.scalars(query)]
