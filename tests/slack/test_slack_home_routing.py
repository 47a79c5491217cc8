"""Without LEADBOT_SALES_CHANNEL every tier must name its channel, also after a change."""

from __future__ import annotations

import pytest
from home_helpers import home_click, last_home, submit_yaml
from slack_helpers import MANAGER, SIGNING_SECRET

from bot.render import home as home_blocks
from bot.settings import Settings
from qualifiers.rubric import DEFAULT_RUBRIC_PATH

ROUTED_TIERS = {
    "{id: hot, min_score: 70, sla_minutes: 15}": "{id: hot, min_score: 70, channel: CHOT}",
    "{id: warm, min_score: 40, sla_minutes: 240}": "{id: warm, min_score: 40, channel: CWARM}",
    "{id: cold, min_score: 0}": "{id: cold, min_score: 0, channel: CCOLD}",
}


@pytest.fixture
def slack_settings(fake_slack, tmp_path) -> Settings:
    """No sales channel: the rubric routes every tier itself."""
    text = DEFAULT_RUBRIC_PATH.read_text()
    for tier, routed in ROUTED_TIERS.items():
        assert tier in text, "the default rubric's tiers changed; update this fixture"
        text = text.replace(tier, routed)
    path = tmp_path / "all-routed.yaml"
    path.write_text(text)
    return Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        LEADBOT_MANAGERS=MANAGER,
        LEADBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'slack.db'}",
        LEADBOT_RUBRIC=str(path),
    )


def test_a_replacement_that_leaves_a_tier_without_channel_is_refused(slack, leadbot):
    rubrics = leadbot.services.rubrics
    unrouted = rubrics.text().replace(", channel: CCOLD}", "}")

    response = submit_yaml(slack, unrouted)

    assert response["response_action"] == "errors"
    assert (
        "pasted rubric: tiers: tiers cold name no channel and LEADBOT_SALES_CHANNEL is not set"
        in response["errors"][home_blocks.BLOCK_RUBRIC_YAML]
    )


def test_a_reload_that_leaves_a_tier_without_channel_keeps_the_rubric(slack, leadbot, fake_slack):
    rubrics = leadbot.services.rubrics
    before = rubrics.get()
    rubrics.path.write_text(rubrics.text().replace(", channel: CCOLD}", "}"))

    home_click(slack, home_blocks.ACTION_RUBRIC_RELOAD, MANAGER)

    notice = last_home(fake_slack, MANAGER, 1)["blocks"][1]["text"]["text"]
    assert "Rubric not reloaded" in notice
    assert "tiers cold name no channel" in notice
    assert rubrics.get() is before
