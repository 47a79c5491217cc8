"""LEADBOT_INTAKE_BOTS=*: every integration's post in an intake channel is a lead, except
leadbot's own."""

from __future__ import annotations

import pytest
from fakes.slack_api import BOT_ID, BOT_USER_ID
from slack_helpers import INTAKE, WARM_LEAD
from test_slack_integrations import bot_post


@pytest.fixture
def slack_settings(slack_settings):
    return slack_settings.model_copy(update={"intake_bots": "*"})


def test_any_bot_is_an_intake_bot_except_leadbot_itself(slack, leadbot, fake_slack, repo):
    zapier = bot_post(slack, bot_id="BZAPIER", text=WARM_LEAD, subtype="bot_message")
    zapier["username"] = "Zapier"
    own = bot_post(slack, bot_id=BOT_ID, text=WARM_LEAD, user=BOT_USER_ID)
    elsewhere = bot_post(slack, bot_id="BZAPIER", text=WARM_LEAD)
    elsewhere["channel"] = "CRANDOM"  # not an intake channel
    for event in (zapier, own, elsewhere):
        assert slack.event(event).status == 200
    [stored] = repo.recent_leads(5)
    assert (stored.intake_ts, stored.lead.submitted_by) == (zapier["ts"], "Zapier")
    assert repo.find_by_intake(INTAKE, own["ts"]) is None
