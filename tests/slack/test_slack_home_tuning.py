"""Tuning the rubric from App Home through the real Bolt app: the Tune rubric button opens
a form (no YAML box), a submitted edit is reviewed with the changes and the back-test, and
the confirmation applies it with an audit entry; a bad edit shows under its field."""

from __future__ import annotations

import json

from home_helpers import confirm, home_click, modal_text, open_home
from slack_helpers import MANAGER, drop_lead, view_submission

from bot.render import home as home_blocks
from bot.store.rubric_audit import rubric_changes


def submitted(view: dict, changes: dict[str, str]) -> dict:
    """The form as opened, with `changes` (block id -> new text) typed in."""
    values = {
        block["block_id"]: {
            home_blocks.ACTION_TUNE_VALUE: changes.get(
                block["block_id"], block["element"].get("initial_value")
            )
        }
        for block in view["blocks"]
        if block["type"] == "input"
    }
    return view_submission(home_blocks.CALLBACK_RUBRIC_TUNE, values, user=MANAGER)


def test_a_manager_tunes_points_and_a_threshold_in_a_form(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    drop_lead(slack, leadbot, repo)
    home = open_home(slack, MANAGER, fake_slack)
    assert home_blocks.ACTION_RUBRIC_TUNE in json.dumps(home["blocks"])
    old_version = rubrics.get().version

    home_click(slack, home_blocks.ACTION_RUBRIC_TUNE, MANAGER)
    [opened] = fake_slack.wait_for("views.open")
    view = opened.body["view"]
    assert view["callback_id"] == home_blocks.CALLBACK_RUBRIC_TUNE
    assert home_blocks.BLOCK_RUBRIC_YAML not in json.dumps(view)

    bad = slack.interaction(
        submitted(view, {home_blocks.BLOCK_TUNE_TIER + "hot:min_score": "lots"})
    )
    errors = json.loads(bad.body)
    assert errors["response_action"] == "errors"
    assert "whole number" in errors["errors"][home_blocks.BLOCK_TUNE_TIER + "hot:min_score"]

    review = json.loads(
        slack.interaction(
            submitted(view, {home_blocks.BLOCK_TUNE_TIER + "hot:min_score": "65"})
        ).body
    )
    assert review["view"]["callback_id"] == home_blocks.CALLBACK_RUBRIC_CONFIRM
    text = modal_text(review)
    assert "Tier *hot*: score ≥ 70 → ≥ 65" in text
    assert "Re-scored the latest 1 stored leads" in text
    assert rubrics.get().version == old_version

    done = confirm(slack, review["view"]["private_metadata"])

    assert done["view"]["title"]["text"] == "Rubric applied"
    assert rubrics.get().tier("hot").min_score == 65
    [change] = rubric_changes(repo)
    assert (change.actor, change.old_version) == (MANAGER, old_version)
