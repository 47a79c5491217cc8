"""Tuning the rubric from App Home through the real Bolt app: the Tune rubric button opens
a form (no YAML box), a submitted edit is reviewed with the changes and the back-test, and
the confirmation applies it with an audit entry; a bad edit shows under its field."""

from __future__ import annotations

import json
import re

from home_helpers import confirm, home_click, modal_text, open_home
from slack_helpers import MANAGER, drop_lead, view_submission

from bot.domain.lifecycle import Outcome
from bot.render import home as home_blocks
from bot.services import rubric_admin
from bot.store.rubric_audit import rubric_changes
from qualifiers.models import Lead


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


STRONG = "I'm the CFO at Acme, 300 employees. Budget is $80k and we need to decide this month."
WEAK = "Hi, just curious what you do. No budget yet, maybe next year."


def store_judged_leads(repo, won: int, lost: int) -> None:
    """Leads with a recorded outcome: strong ones won, weak ones lost (one weak one won and
    one strong one lost, so neither rubric ranks them perfectly)."""
    texts = [(STRONG, True)] * won + [(WEAK, False)] * lost
    texts[0], texts[-1] = (WEAK, True), (STRONG, False)
    for n, (text, was_won) in enumerate(texts):
        stored, _ = repo.add_lead(Lead(text=f"{text} ({n})"), dedupe_key=f"judged:{n}")
        outcome = Outcome.WON if was_won else Outcome.LOST
        repo.record_outcome(stored.id, outcome, "UREP", origin="slack")


def tuned_review(slack, fake_slack, changes: dict[str, str]) -> str:
    open_home(slack, MANAGER, fake_slack)
    home_click(slack, home_blocks.ACTION_RUBRIC_TUNE, MANAGER)
    [opened] = fake_slack.wait_for("views.open")
    review = json.loads(slack.interaction(submitted(opened.body["view"], changes)).body)
    assert review["view"]["callback_id"] == home_blocks.CALLBACK_RUBRIC_CONFIRM
    return modal_text(review)


def test_the_review_back_tests_both_rubrics_on_leads_with_outcomes(
    slack, leadbot, fake_slack, repo, monkeypatch
):
    monkeypatch.setattr(rubric_admin, "PREVIEW_SECONDS", 60.0)  # every lead, however loaded
    store_judged_leads(repo, won=12, lost=12)
    budget = home_blocks.BLOCK_TUNE_POINTS + "budget"
    backwards = {budget: "..0 = 100\n1.. = 0"}  # "no budget" is the best answer: worse

    text = tuned_review(slack, fake_slack, backwards)

    assert "Back-test on outcomes" in text
    assert "Re-scored 24 stored leads with an outcome (12 won)" in text
    assert "*The draft ranks them worse*: ROC AUC" in text
    assert re.search(r"In force: \S+ Hot 11/12 won \(92%\) · \S+ Cold 1/12 won", text)
    assert re.search(r"Draft: \S+ (Hot|Warm|Cold) \d+/\d+ won", text)
    assert text.index("Back-test on outcomes") < text.index("Back-test on stored leads")


def test_with_few_outcomes_the_review_says_how_many_it_needs(
    slack, leadbot, fake_slack, repo, monkeypatch
):
    monkeypatch.setattr(rubric_admin, "PREVIEW_SECONDS", 60.0)
    store_judged_leads(repo, won=3, lost=3)

    text = tuned_review(slack, fake_slack, {home_blocks.BLOCK_TUNE_TIER + "hot:min_score": "65"})

    assert "6 stored leads with an outcome (3 won): too few to judge" in text
    assert "needs 20 leads with an outcome" in text


def test_without_outcomes_the_review_has_no_outcome_back_test(slack, leadbot, fake_slack, repo):
    drop_lead(slack, leadbot, repo)
    text = tuned_review(slack, fake_slack, {home_blocks.BLOCK_TUNE_TIER + "hot:min_score": "65"})
    assert "Back-test on outcomes" not in text
    assert "Re-scored the latest 1 stored leads" in text
