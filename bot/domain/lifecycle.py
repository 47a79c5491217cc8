"""A lead's lifecycle: its statuses, the events that move it, where its Slack messages are,
and who may do what. Pure: no database, no Slack.

Three things used to share the word "disqualified": the rubric's tier for a knocked-out lead
(`qualifiers.rubric.DISQUALIFIED`), the lead's status, and the event that records the move.
Here they are three types; `is_knocked_out` is the one place that reads the tier.
"""

from __future__ import annotations

import re
from enum import StrEnum

from qualifiers.models import Qualification
from qualifiers.rubric import DISQUALIFIED as DISQUALIFIED_TIER  # the tier, re-exported
from qualifiers.rubric import Rubric


class LeadStatus(StrEnum):
    RECEIVED = "received"
    QUALIFIED = "qualified"
    POSTED = "posted"
    CLAIMED = "claimed"
    DISQUALIFIED = "disqualified"


class EventKind(StrEnum):
    """What the append-only event log records about a lead."""

    RECEIVED = "received"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    POSTED = "posted"
    CLAIMED = "claimed"
    RELEASED = "released"
    ANSWERED = "answered"
    SLA_REMINDER = "sla_reminder"


class MessageKind(StrEnum):
    """A lead's messages in Slack, each recorded once so it is updated, never re-posted."""

    SUMMARY = "summary"  # in the sales channel, with the Claim buttons
    THREAD = "thread"  # the bot's DM thread with the marketer (modal and shortcut leads)
    INTAKE_REPLY = "intake_reply"  # the answer in the marketer's thread
    REACTION = "reaction"  # the receipt reaction on the intake message
    DIGEST = "digest"  # a CSV drop's digest in the sales channel, kept on the file's first row
    SLA_REMINDER = "sla_reminder"  # in the summary's thread when the claim SLA ran out
    NOTICE = "notice"  # a change told in the marketer's thread (claimed, answered...)
    CSV_REPLY = "csv_reply"  # the answer in a CSV file's thread (results, refusal, question)


class LeadSource(StrEnum):
    """Where a lead came in. Webhook sources may carry a suffix (`webhook:<form>`)."""

    SLACK_MESSAGE = "slack"
    SLACK_MODAL = "slack_modal"
    SLACK_SHORTCUT = "slack_shortcut"
    SLACK_CSV = "slack_csv"
    WEBHOOK = "webhook"


# Where a lead may go from each status. A claim or release changes `claimed_by` with the
# status; a re-qualification never moves a lead that a person already acted on.
TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.RECEIVED: frozenset({LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.POSTED, LeadStatus.DISQUALIFIED}),
    LeadStatus.POSTED: frozenset({LeadStatus.CLAIMED, LeadStatus.DISQUALIFIED}),
    LeadStatus.CLAIMED: frozenset({LeadStatus.POSTED, LeadStatus.DISQUALIFIED}),
    LeadStatus.DISQUALIFIED: frozenset(),
}
UNPOSTED = (LeadStatus.RECEIVED, LeadStatus.QUALIFIED)

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def can_move(current: LeadStatus, new: LeadStatus) -> bool:
    return new in TRANSITIONS[LeadStatus(current)]


def is_knocked_out(qualification: Qualification) -> bool:
    """The rubric put the lead in its knockout tier."""
    return qualification.tier == DISQUALIFIED_TIER


def status_after_qualification(qualification: Qualification) -> LeadStatus:
    """A new lead's status once it has its first qualification."""
    return LeadStatus.DISQUALIFIED if is_knocked_out(qualification) else LeadStatus.QUALIFIED


def is_slack_user_id(text: str | None) -> bool:
    """A Slack member id (U…, or W… on Enterprise Grid), as opposed to a name or an email:
    the one check for "can this be mentioned or messaged in Slack"."""
    return bool(text) and bool(_SLACK_USER_ID.match(text))


def unrouted_tiers(rubric: Rubric, sales_channel: str | None) -> list[str]:
    """Tiers whose summaries would have nowhere to go: no `channel:` and no default."""
    return [] if sales_channel else [tier.id for tier in rubric.tiers if not tier.channel]
