"""The lifecycle's pure rules and the typed work messages."""

from __future__ import annotations

import pytest

from bot.domain.lifecycle import LeadStatus, can_move, is_slack_user_id, unrouted_tiers
from bot.domain.permissions import Managers
from bot.domain.work import WORK_MESSAGES, ReadCsvDrop, Requalify, SlaReminder, WorkMessage


def test_a_work_message_round_trips_through_its_row():
    message = SlaReminder(lead_id=7, tier="hot", sla_minutes=15)
    assert message.payload() == {"tier": "hot", "sla_minutes": 15, "thread_ts": None}
    assert WorkMessage.load("sla_reminder", 7, message.payload()) == message


def test_every_kind_names_one_class_and_bad_rows_are_refused():
    assert WORK_MESSAGES["requalify"] is Requalify
    assert WORK_MESSAGES["csv_file"] is ReadCsvDrop
    with pytest.raises(LookupError, match="no work message of kind 'remind'"):
        WorkMessage.load("remind", 1, {})
    with pytest.raises(ValueError, match="sla_minutes"):
        WorkMessage.load("sla_reminder", 1, {"tier": "hot"})


def test_a_disqualified_lead_goes_nowhere_and_a_claimed_one_may_be_released():
    assert not can_move(LeadStatus.DISQUALIFIED, LeadStatus.POSTED)
    assert can_move(LeadStatus.CLAIMED, LeadStatus.POSTED)
    assert not can_move(LeadStatus.RECEIVED, LeadStatus.CLAIMED)


def test_one_slack_user_id_check_and_one_manager_check():
    assert [is_slack_user_id(t) for t in ("U024BE7LH", "W0G1", "ana@x.io", "C123", None)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    managers = Managers(["UMGR"])
    assert managers.refusal("UMGR", "reload the rubric") is None
    assert managers.refusal("UREP", "reload the rubric") == "Only managers can reload the rubric."


def test_routing_needs_a_channel_per_tier_or_a_default(default_rubric):
    assert unrouted_tiers(default_rubric, None) == ["hot", "warm", "cold"]
    assert unrouted_tiers(default_rubric, "CSALES") == []
