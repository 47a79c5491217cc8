"""HubSpot end to end: the real app, the real `hubspot-api-client`, a local HubSpot API that
records calls and fails at first. A claim makes the contact, company, owner and note; a
disqualification sets the lead status, a won outcome the lifecycle stage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes.hubspot_api import FakeHubSpotAPI
from pydantic import SecretStr
from slack_helpers import MANAGER, drop_lead

from bot.domain.lifecycle import Outcome
from bot.domain.work import HandoffEvent, SyncHubSpot
from bot.render import summary as blocks
from bot.store.stats import funnel_stats

LEAD = (
    "Name: Dana Whitfield\nCompany: Globex Freight\nEmail: Dana.Whitfield@globex.example\n"
    "CFO, ~300 ppl, 50k budget. pain: AP approvals stuck in email. wants demo next month."
)
REP = "UREP1"


@pytest.fixture
def fake_hubspot() -> FakeHubSpotAPI:
    with FakeHubSpotAPI() as fake:
        fake.add_owner("9001", "rep.one@acme.example")
        yield fake


@pytest.fixture
def slack_settings(slack_settings, fake_hubspot):
    return slack_settings.model_copy(
        update={"hubspot_token": SecretStr("pat-test-token"), "hubspot_api_url": fake_hubspot.url}
    )


def test_a_claim_reaches_hubspot_with_owner_company_and_evidence_despite_failures(
    slack, leadbot, fake_slack, fake_hubspot, repo
):
    fake_slack.set_user(REP, profile={"email": "rep.one@acme.example"})
    lead = drop_lead(slack, leadbot, repo, LEAD)
    assert fake_hubspot.calls() == []  # a qualified lead has no owner yet: nothing to sync
    fake_hubspot.fail_next(2)
    assert slack.click("lead_claim", lead.id, REP, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()

    assert [c.status for c in fake_hubspot.calls()[:2]] == [503, 503]
    contact = fake_hubspot.contact("dana.whitfield@globex.example")
    assert contact is not None
    assert contact.properties["hubspot_owner_id"] == "9001"
    assert contact.properties["firstname"] == "Dana"
    assert contact.properties["lifecyclestage"] == "salesqualifiedlead"
    [company] = fake_hubspot.objects["companies"].values()
    assert company.properties == {"domain": "globex.example", "name": "Globex Freight"}
    assert ("companies", company.id) in contact.associations
    [note] = fake_hubspot.objects["notes"].values()  # once, though the sync was retried
    assert ("contacts", contact.id) in note.associations
    body = note.properties["hs_note_body"]
    assert f"leadbot lead {lead.id}" in body and "50k budget" in body and "tier" in body
    assert [c.path for c in fake_hubspot.calls("GET", "/crm/v3/owners")][-1:] == ["/crm/v3/owners/"]
    [figures] = funnel_stats(repo).handoff
    assert (figures.destination, figures.delivered, figures.pending) == ("HubSpot", 1, 0)

    # a second lead from the same person and company updates, never duplicates
    assert slack.click("lead_release", lead.id, REP, lead.channel, lead.ts).status == 200
    assert slack.click("lead_claim", lead.id, REP, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    assert len(fake_hubspot.objects["contacts"]) == 1
    assert len(fake_hubspot.objects["companies"]) == 1


def test_a_disqualification_sets_the_lead_status(slack, leadbot, fake_slack, fake_hubspot, repo):
    lead = drop_lead(slack, leadbot, repo, LEAD)
    assert leadbot.services.claims.disqualify(lead.id, MANAGER, "student project") is None
    leadbot.worker.wait_until_idle()
    contact = fake_hubspot.contact("dana.whitfield@globex.example")
    assert contact.properties["hs_lead_status"] == "UNQUALIFIED"
    assert "hubspot_owner_id" not in contact.properties


def test_a_rep_without_a_hubspot_owner_leaves_the_owner_unset(
    slack, leadbot, fake_slack, fake_hubspot, repo
):
    fake_slack.set_user(REP, profile={"email": "someone.else@acme.example"})
    lead = drop_lead(slack, leadbot, repo, LEAD)
    assert slack.click("lead_claim", lead.id, REP, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()
    contact = fake_hubspot.contact("dana.whitfield@globex.example")
    assert "hubspot_owner_id" not in contact.properties
    assert len(fake_hubspot.objects["notes"]) == 1


def test_a_won_outcome_makes_the_contact_a_customer(slack, leadbot, fake_slack, fake_hubspot, repo):
    fake_slack.set_user(REP, profile={"email": "rep.one@acme.example"})
    lead = drop_lead(slack, leadbot, repo, LEAD)
    assert slack.click("lead_claim", lead.id, REP, lead.channel, lead.ts).status == 200
    won = blocks.ACTION_OUTCOMES[Outcome.WON]
    assert slack.click(won, lead.id, REP, lead.channel, lead.ts).status == 200
    leadbot.worker.wait_until_idle()

    contact = fake_hubspot.contact("dana.whitfield@globex.example")
    assert contact.properties["lifecyclestage"] == "customer"
    assert contact.properties["hs_lead_status"] == "CONNECTED"
    assert contact.properties["hubspot_owner_id"] == "9001"

    # the claim's sync retried after the outcome's (HubSpot failed it at first) undoes nothing
    late_claim = SyncHubSpot(
        lead_id=lead.id, event=HandoffEvent.CLAIMED, rep=REP, at=datetime.now(UTC)
    )
    leadbot.worker.handlers[SyncHubSpot.kind](late_claim, 2)
    contact = fake_hubspot.contact("dana.whitfield@globex.example")
    assert contact.properties["lifecyclestage"] == "customer"
    assert contact.properties["hs_lead_status"] == "CONNECTED"
