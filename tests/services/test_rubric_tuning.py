"""Tuning the rubric from App Home without YAML: the form is prefilled with the rubric in
force, edits become a validated rubric reviewed (diff, back-test) and applied with an audit
entry through the replace path; unreadable or invalid edits are shown under their field."""

from __future__ import annotations

import json

import pytest
from services.conftest import MANAGER

from bot.render import home as render
from bot.services.rubric_admin import SubmissionError
from bot.services.rubric_tuning import TierEdit, TuningError, points_text, tuned_rubric
from qualifiers.rubric import load_rubric


def form(modal: dict) -> dict:
    """What Slack submits for the modal as opened: each input's initial value."""
    return {
        block["block_id"]: {
            render.ACTION_TUNE_VALUE: {"value": block["element"].get("initial_value")}
        }
        for block in modal["blocks"]
        if block["type"] == "input"
    }


@pytest.fixture
def opened(admin, gateway) -> dict:
    admin.open_tune(MANAGER, "trigger-1")
    [call] = gateway.named("open_view")
    return call.args[1]


def test_the_form_shows_points_and_tiers_of_the_rubric_in_force(opened):
    assert opened["callback_id"] == render.CALLBACK_RUBRIC_TUNE
    values = form(opened)
    budget = values[render.BLOCK_TUNE_POINTS + "budget"][render.ACTION_TUNE_VALUE]["value"]
    assert budget.splitlines() == ["50000.. = 25", "10000..49999 = 15", "1..9999 = 5", "..0 = 0"]
    hot = values[render.BLOCK_TUNE_TIER + "hot:min_score"][render.ACTION_TUNE_VALUE]["value"]
    assert hot == "70"
    assert len(json.dumps(opened)) < 20_000  # no paste box: every input is small
    assert all(len(v[render.ACTION_TUNE_VALUE]["value"] or "") < 3000 for v in values.values())


def test_unchanged_form_is_refused(admin, opened):
    with pytest.raises(SubmissionError, match="Nothing changed"):
        admin.review_tuning(MANAGER, form(opened))


def test_tuned_points_threshold_and_sla_are_reviewed_then_applied_and_audited(
    admin,
    holder,
    uow,
    opened,
):
    values = form(opened)
    values[render.BLOCK_TUNE_POINTS + "budget"][render.ACTION_TUNE_VALUE]["value"] = (
        "40000.. = 30\n10000..39999 = 15\n1..9999 = 5\n..0 = 0"
    )
    values[render.BLOCK_TUNE_TIER + "hot:min_score"][render.ACTION_TUNE_VALUE]["value"] = "65"
    values[render.BLOCK_TUNE_TIER + "warm:sla_minutes"][render.ACTION_TUNE_VALUE]["value"] = "120"
    values[render.BLOCK_TUNE_TIER + "warm:reps"][render.ACTION_TUNE_VALUE]["value"] = "UANNA, UBEN"
    old = holder.get().version

    modal = admin.review_tuning(MANAGER, values)

    text = json.dumps(modal["blocks"], ensure_ascii=False)
    assert "*Budget*: up to 25 → 30 pts; points changed" in text
    assert "Tier *hot*: score ≥ 70 → ≥ 65" in text
    assert "Tier *warm*: SLA 240 → 120 minutes" in text
    assert "Tier *warm*: assignment any rep claims → round-robin among UANNA, UBEN" in text
    assert "-  - min: 50000" in text and "+  - min: 40000" in text  # the diff
    assert "Back-test on stored leads" in text
    assert holder.get().version == old  # nothing applied before the confirmation

    assert admin.confirm(MANAGER, modal["private_metadata"]).title == "Rubric applied"
    rubric = holder.get()
    assert (rubric.tier("hot").min_score, rubric.tier("warm").sla_minutes) == (65, 120)
    assert rubric.criterion("budget").bands[0].min == 40000
    assert (rubric.tier("warm").assign, rubric.tier("warm").reps) == (
        "round_robin",
        ["UANNA", "UBEN"],
    )
    [change] = uow.state.rubric_changes
    assert (change.actor, change.old_version, change.new_version) == (MANAGER, old, rubric.version)


@pytest.mark.parametrize(
    ("block", "value", "message"),
    [
        (render.BLOCK_TUNE_POINTS + "budget", "lots = 3", "expected a range such as"),
        (
            render.BLOCK_TUNE_POINTS + "budget",
            "50000..\n..0 = 0",
            "line 1: expected `what = points`",
        ),
        (
            render.BLOCK_TUNE_POINTS + "budget",
            "50000.. = 25\n..100 = 0",
            "gap between bands: expected min 101",
        ),
        (render.BLOCK_TUNE_POINTS + "authority", "king = 30", "unknown choice 'king'"),
        (render.BLOCK_TUNE_TIER + "hot:min_score", "high", "threshold: expected a whole number"),
        (render.BLOCK_TUNE_TIER + "warm:min_score", "90", "thresholds out of order"),
        (render.BLOCK_TUNE_TIER + "hot:channel", "#sales", "channel: expected a channel id"),
        (render.BLOCK_TUNE_TIER + "hot:reps", "alice", "expected Slack user ids"),
    ],
)
def test_bad_edits_are_shown_under_their_field(admin, opened, block, value, message):
    values = form(opened)
    values[block][render.ACTION_TUNE_VALUE]["value"] = value
    with pytest.raises(SubmissionError) as refused:
        admin.review_tuning(MANAGER, values)
    assert message in refused.value.message
    assert refused.value.block_id == block


def test_points_text_reads_back_to_the_same_rubric():
    rubric = load_rubric()
    points = {c.id: points_text(c) for c in rubric.criteria}
    tiers = {
        t.id: TierEdit(str(t.min_score), t.channel or "", str(t.sla_minutes or ""), "")
        for t in rubric.tiers
    }
    assert tuned_rubric(rubric, points, tiers) == rubric
    with pytest.raises(TuningError):
        tuned_rubric(rubric, {"need": "maybe = 3"}, {})
