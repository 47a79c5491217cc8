"""App Home, `/leadbot`, reloading and replacing the rubric, through signed HTTP requests."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from home_helpers import confirm, home_click, last_home, modal_text, open_home, submit_yaml
from slack_helpers import (
    COLD_LEAD,
    MANAGER,
    ROUTED_CHANNEL,
    FileHost,
    action_ids,
    block_text,
    drop_lead,
    view_submission,
)

from bot.render import home as home_blocks
from bot.render import summary as blocks
from bot.store.rubric_audit import rubric_changes
from qualifiers.rubric import parse_rubric

REP = "UREP01"
RENAMED_TIERS = {"hot": "fire", "warm": "lukewarm", "cold": "ice"}


def rename_tiers(text: str) -> str:
    """The same rubric with every tier renamed: each lead that is not knocked out moves."""
    for old, new in RENAMED_TIERS.items():
        assert f"{{id: {old}, " in text
        text = text.replace(f"{{id: {old}, ", f"{{id: {new}, ")
    return text


# --- App Home ------------------------------------------------------------------------------


def test_manager_home_shows_rubric_stats_and_manager_controls(slack, leadbot, fake_slack, repo):
    lead = drop_lead(slack, leadbot, repo)
    slack.click(blocks.ACTION_CLAIM, lead.id, REP, lead.channel, lead.ts)
    leadbot.worker.wait_until_idle()

    view = open_home(slack, MANAGER, fake_slack)

    assert view["type"] == "home"
    assert action_ids(view["blocks"]) == [
        home_blocks.ACTION_RUBRIC_RELOAD,
        home_blocks.ACTION_RUBRIC_REPLACE,
        home_blocks.ACTION_RUBRIC_TUNE,
    ]
    text = block_text(view["blocks"])
    assert leadbot.services.rubrics.get().version in text
    assert "*Budget*" in text and "Student or academic research" in text
    assert f"<#{ROUTED_CHANNEL}> · claim within 4 h" in text
    assert "*Last 7 days*" in text and "*Last 30 days*" in text
    assert "Claimed 1 of 1 (100%)" in text
    assert "<@UMKT>: 1 lead ·" in text  # plain English
    assert "Posted in an intake channel: 1 lead" in text  # sources in words, not `slack`
    assert "$0.0000" not in text


def test_rep_home_has_the_rubric_and_stats_but_no_manager_controls(slack, fake_slack, leadbot):
    view = open_home(slack, REP, fake_slack)

    assert action_ids(view["blocks"]) == []
    text = block_text(view["blocks"])
    assert leadbot.services.rubrics.get().version in text
    assert "*Last 30 days*" in text
    assert "Reload rubric" not in text


# --- reload --------------------------------------------------------------------------------


def test_reload_reports_a_broken_file_and_keeps_the_rubric(slack, leadbot, fake_slack):
    rubrics = leadbot.services.rubrics
    before = rubrics.get()
    text = rubrics.path.read_text()
    rubrics.path.write_text(text.replace("min_score: 40", "min_score: forty"))

    assert home_click(slack, home_blocks.ACTION_RUBRIC_RELOAD, MANAGER).status == 200

    view = last_home(fake_slack, MANAGER, 1)
    notice = view["blocks"][1]["text"]["text"]
    line = text.splitlines().index(next(x for x in text.splitlines() if "min_score: 40" in x)) + 1
    assert "Rubric not reloaded" in notice
    assert f"{rubrics.path}:{line}: tiers[1].min_score: expected a number" in notice
    assert rubrics.get() is before


def test_reload_applies_a_valid_file_with_an_audit_entry(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    old = rubrics.get().version
    rubrics.path.write_text(rubrics.path.read_text().replace("min_score: 70", "min_score: 75"))

    home_click(slack, home_blocks.ACTION_RUBRIC_RELOAD, MANAGER)

    view = last_home(fake_slack, MANAGER, 1)
    new = rubrics.get().version
    assert rubrics.get().tier("hot").min_score == 75
    assert f"`{old}` → `{new}`" in view["blocks"][1]["text"]["text"]
    [change] = rubric_changes(repo)
    assert (change.actor, change.old_version, change.new_version) == (MANAGER, old, new)


def test_rep_cannot_reload(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    before = rubrics.get()
    rubrics.path.write_text(rubrics.path.read_text().replace("min_score: 70", "min_score: 75"))

    home_click(slack, home_blocks.ACTION_RUBRIC_RELOAD, REP)

    view = last_home(fake_slack, REP, 1)
    assert "Only managers can reload the rubric" in view["blocks"][1]["text"]["text"]
    assert rubrics.get() is before
    assert rubric_changes(repo) == []


# --- replace -------------------------------------------------------------------------------


def test_manager_replaces_the_rubric_after_review(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    stored = [drop_lead(slack, leadbot, repo), drop_lead(slack, leadbot, repo, COLD_LEAD)]
    tiers = Counter(repo.latest_qualification(lead.id).tier for lead in stored)
    assert "disqualified" not in tiers
    old_text, old_version = rubrics.text(), rubrics.get().version
    new_text = rename_tiers(old_text)

    home_click(slack, home_blocks.ACTION_RUBRIC_REPLACE, MANAGER)
    [opened] = fake_slack.wait_for("views.open")
    assert opened.body["view"]["callback_id"] == home_blocks.CALLBACK_RUBRIC_REPLACE

    review = submit_yaml(slack, new_text)

    assert review["response_action"] == "update"
    assert review["view"]["callback_id"] == home_blocks.CALLBACK_RUBRIC_CONFIRM
    text = modal_text(review)
    assert "Added tier *lukewarm*" in text and "Removed tier *warm*" in text
    assert "Re-scored the latest 2 stored leads" in text
    for tier, count in tiers.items():
        renamed = RENAMED_TIERS[tier]
        assert f"{tier.capitalize()} {count} → 0" in text
        assert f"{renamed.capitalize()} 0 → {count}" in text
    assert "*2 leads change tier* (100%)" in text
    assert "+  - {id: lukewarm" in text
    assert rubrics.get().version == old_version, "nothing applies before the confirmation"
    assert rubrics.path.read_text() == old_text

    done = confirm(slack, review["view"]["private_metadata"])

    new_version = parse_rubric(new_text).version
    assert f"`{old_version}` → `{new_version}` is in force" in modal_text(done)
    assert rubrics.path.read_text() == new_text
    assert rubrics.get().version == new_version
    [change] = rubric_changes(repo)
    assert (change.actor, change.old_version, change.new_version) == (
        MANAGER,
        old_version,
        new_version,
    )
    assert change.rubric_yaml == new_text
    assert new_version in block_text(last_home(fake_slack, MANAGER, 1)["blocks"])

    lead = drop_lead(slack, leadbot, repo)
    qualification = repo.latest_qualification(lead.id)
    assert qualification.rubric.version == new_version
    assert qualification.tier in RENAMED_TIERS.values()


def test_invalid_yaml_is_shown_inline_with_its_line(slack, leadbot):
    rubrics = leadbot.services.rubrics
    broken = rubrics.text().replace("min_score: 40", "min_score: forty")
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "forty" in x)) + 1

    response = submit_yaml(slack, broken)

    assert response["response_action"] == "errors"
    error = response["errors"][home_blocks.BLOCK_RUBRIC_YAML]
    assert f"pasted rubric:{line}: tiers[1].min_score: expected a number" in error
    assert rubrics.path.read_text() == rubrics.text()


def test_unchanged_or_empty_submission_is_refused_inline(slack, leadbot):
    same = submit_yaml(slack, leadbot.services.rubrics.text())
    empty = submit_yaml(slack, "   ")

    assert "already in force" in same["errors"][home_blocks.BLOCK_RUBRIC_YAML]
    assert "Paste the rubric YAML" in empty["errors"][home_blocks.BLOCK_RUBRIC_YAML]


def test_a_review_applies_once_and_only_for_its_manager(slack, leadbot, repo):
    rubrics = leadbot.services.rubrics
    review = submit_yaml(slack, rubrics.text().replace("min_score: 70", "min_score: 72"))
    token = review["view"]["private_metadata"]

    stolen = confirm(slack, token, user=REP)
    first = confirm(slack, token)
    again = confirm(slack, token)

    assert "Only managers" in modal_text(stolen)
    assert "is in force" in modal_text(first)
    assert "expired or was already applied" in modal_text(again)
    assert len(rubric_changes(repo)) == 1


def test_a_review_of_a_rubric_changed_meanwhile_is_refused(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    review = submit_yaml(slack, rubrics.text().replace("min_score: 70", "min_score: 72"))
    rubrics.path.write_text(rubrics.text().replace("min_score: 70", "min_score: 71"))
    home_click(slack, home_blocks.ACTION_RUBRIC_RELOAD, MANAGER)
    last_home(fake_slack, MANAGER, 1)

    response = confirm(slack, review["view"]["private_metadata"])

    assert "Someone changed the rubric" in modal_text(response)
    assert rubrics.get().tier("hot").min_score == 71


def test_reps_cannot_replace_the_rubric(slack, leadbot, fake_slack, repo):
    rubrics = leadbot.services.rubrics
    before = rubrics.get()

    home_click(slack, home_blocks.ACTION_RUBRIC_REPLACE, REP)
    view = last_home(fake_slack, REP, 1)
    response = submit_yaml(slack, rubrics.text().replace("min_score: 70", "min_score: 72"), REP)

    assert "Only managers can replace the rubric" in view["blocks"][1]["text"]["text"]
    assert fake_slack.calls("views.open") == []
    assert response["response_action"] == "errors"
    assert "Only managers" in response["errors"][home_blocks.BLOCK_RUBRIC_YAML]
    assert rubrics.get() is before
    assert rubric_changes(repo) == []


def upload_submission(url: str, size: int) -> dict:
    payload = view_submission(home_blocks.CALLBACK_RUBRIC_REPLACE, {}, user=MANAGER)
    payload["view"]["state"]["values"] = {
        home_blocks.BLOCK_RUBRIC_FILE: {
            home_blocks.ACTION_RUBRIC_FILE: {
                "type": "file_input",
                "files": [{"id": "F1", "name": "rubric.yaml", "url_private": url, "size": size}],
            }
        }
    }
    return payload


def test_manager_uploads_a_rubric_file(slack, leadbot):
    new_text = leadbot.services.rubrics.text().replace("min_score: 70", "min_score: 73")
    host = FileHost(content=new_text.encode(), path="rubric.yaml")
    with host as url:
        reply = slack.interaction(upload_submission(url, len(new_text)))

    response = json.loads(reply.body)
    assert response["response_action"] == "update"
    assert "Tier *hot*: score ≥ 70 → ≥ 73" in modal_text(response)
    assert host.authorizations == ["Bearer xoxb-test-token"]


def test_upload_from_elsewhere_than_slack_is_refused(slack):
    payload = upload_submission("https://attacker.example/rubric.yaml", 100)

    response = json.loads(slack.interaction(payload).body)

    assert response["response_action"] == "errors"
    assert "did not come from Slack" in response["errors"][home_blocks.BLOCK_RUBRIC_FILE]


# --- /leadbot ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rubric", "Rubric in force"),
        ("stats", "*Last 7 days*"),
        ("help", "/leadbot rubric"),
        ("", "/leadbot stats"),
        ("frobnicate", "I don't know `frobnicate`"),
    ],
)
def test_leadbot_command_answers_ephemerally(slack, text, expected):
    reply = slack.command("/leadbot", text)

    assert reply.status == 200
    body = json.loads(reply.body)
    assert body["response_type"] == "ephemeral"
    assert expected in json.dumps(body, ensure_ascii=False)
