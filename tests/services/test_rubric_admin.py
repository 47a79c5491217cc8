"""Rubric administration: managers only, a reviewed draft applies once, on top of the
version it was reviewed against, and leaves an audit entry."""

from __future__ import annotations

import pytest
from services.conftest import MANAGER

from bot.render import home as render
from bot.services.rubric_admin import SubmissionError
from bot.services.rubric_holder import RubricHolder


def pasted(text: str) -> dict:
    return {render.BLOCK_RUBRIC_YAML: {render.ACTION_RUBRIC_YAML: {"value": text}}}


def stricter(holder: RubricHolder) -> str:
    return holder.text().replace("min_score: 70", "min_score: 75")


def test_only_managers_review_a_rubric(admin, holder):
    with pytest.raises(SubmissionError, match=r"Only managers can replace the rubric\."):
        admin.review("UREP", pasted(stricter(holder)))


def test_a_broken_rubric_is_refused_with_its_line(admin):
    with pytest.raises(SubmissionError) as refused:
        admin.review(MANAGER, pasted("name: x\ncriteria: 3\n"))
    assert refused.value.block_id == render.BLOCK_RUBRIC_YAML
    assert "pasted rubric:" in refused.value.message


def test_a_reviewed_draft_applies_once_and_is_audited(admin, holder, uow):
    old = holder.get().version
    modal = admin.review(MANAGER, pasted(stricter(holder)))

    result = admin.confirm(MANAGER, modal["private_metadata"])

    assert result.title == "Rubric applied"
    assert holder.get().version != old
    assert holder.path.read_text() == holder.text()  # the file holds the rubric in force
    assert "min_score: 75" in holder.text()
    [change] = uow.state.rubric_changes
    assert (change.actor, change.old_version, change.new_version) == (
        MANAGER,
        old,
        holder.get().version,
    )
    assert admin.confirm(MANAGER, modal["private_metadata"]).title == "Review expired"


def test_a_draft_reviewed_against_an_older_rubric_does_not_apply(admin, holder, uow):
    modal = admin.review(MANAGER, pasted(stricter(holder)))
    holder.replace(holder.text().replace("min_score: 40", "min_score: 45"))

    assert admin.confirm(MANAGER, modal["private_metadata"]).title == "Rubric changed"
    assert uow.state.rubric_changes == []
