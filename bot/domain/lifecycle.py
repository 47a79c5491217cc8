"""A lead's lifecycle: its statuses, the events that move it, where its Slack messages are,
and who may do what. Pure: no database, no Slack.

Three things used to share the word "disqualified": the rubric's tier for a knocked-out lead
(`qualifiers.rubric.DISQUALIFIED`), the lead's status, and the event that records the move.
Here they are three types; `is_knocked_out` is the one place that reads the tier.
"""

from __future__ import annotations

import re
from enum import StrEnum

from qualifiers.models import Lead, Qualification
from qualifiers.rubric import DISQUALIFIED as DISQUALIFIED_TIER  # the tier, re-exported
from qualifiers.rubric import Rubric
from qualifiers.scoring import tier_for


class LeadStatus(StrEnum):
    RECEIVED = "received"
    QUALIFIED = "qualified"
    POSTED = "posted"
    CLAIMED = "claimed"
    DISQUALIFIED = "disqualified"
    WITHDRAWN = "withdrawn"  # the intake message was deleted
    WON = "won"  # outcome statuses: the claimer (or a manager, or a CRM export) said how it ended
    LOST = "lost"
    NO_RESPONSE = "no_response"


class Outcome(StrEnum):
    """How a claimed lead ended. Won is what back-tests count as converted."""

    WON = "won"
    LOST = "lost"
    NO_RESPONSE = "no_response"

    @property
    def status(self) -> LeadStatus:
        return LeadStatus(self.value)

    @property
    def label(self) -> str:
        return {"won": "Won", "lost": "Lost", "no_response": "No response"}[self.value]


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
    EDITED = "edited"  # the marketer edited the intake message
    WITHDRAWN = "withdrawn"
    KNOCKOUT_OVERRIDDEN = "knockout_overridden"  # "Not a knockout", by the marketer or a manager
    CONFIRMED = "confirmed"  # "Qualify as lead" on a message with no lead signal
    MERGED = "merged"  # the same person (e-mail) sent again from another source
    ASSIGNED = "assigned"  # round-robin offered the lead to a rep (`until`: their window ends)
    UNASSIGNED = "unassigned"  # round-robin found no rep left: anyone may claim
    ESCALATED = "escalated"  # unclaimed past twice its SLA: told the escalation channel
    AWAY = "away"  # a rep's `/leadbot away` (no lead): round-robin skips them
    BACK = "back"  # a rep's `/leadbot back`
    OUTCOME = "outcome"  # won, lost or no response, from Slack or a CRM export


class MessageKind(StrEnum):
    """A lead's messages in Slack, each recorded once so it is updated, never re-posted."""

    SUMMARY = "summary"  # in the sales channel, with the Claim buttons
    THREAD = "thread"  # the bot's DM thread with the marketer (modal and shortcut leads)
    INTAKE_REPLY = "intake_reply"  # the answer in the marketer's thread
    REACTION = "reaction"  # the receipt reaction on the intake message
    DIGEST = "digest"  # a CSV drop's digest in the sales channel, kept on the file's first row
    NOT_A_LEAD = "not_a_lead"  # the "Qualify as lead" reply to a message with no lead signal
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
# status; moving to disqualified or withdrawn ends a claim. A knockout (disqualified by the
# rubric, not by a person) is lifted by an override or a re-qualification without it.
# A claimed lead gets an outcome; an outcome may be corrected to another one (the claim is
# kept: it says who worked the lead).
_ENDED = {LeadStatus.DISQUALIFIED, LeadStatus.WITHDRAWN}
OUTCOME_STATUSES = frozenset(outcome.status for outcome in Outcome)
TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.RECEIVED: frozenset({LeadStatus.QUALIFIED, *_ENDED}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.POSTED, *_ENDED}),
    LeadStatus.POSTED: frozenset({LeadStatus.CLAIMED, *_ENDED}),
    LeadStatus.CLAIMED: frozenset({LeadStatus.POSTED, *_ENDED, *OUTCOME_STATUSES}),
    LeadStatus.DISQUALIFIED: frozenset({LeadStatus.QUALIFIED, LeadStatus.WITHDRAWN}),
    LeadStatus.WITHDRAWN: frozenset(),
    **{status: frozenset({*_ENDED, *OUTCOME_STATUSES}) for status in OUTCOME_STATUSES},
}
UNPOSTED = (LeadStatus.RECEIVED, LeadStatus.QUALIFIED)
CLOSED = frozenset(_ENDED)  # no claim, no Claim button

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
MENTIONED_USER = re.compile(r"@([UW][A-Z0-9]{2,})\b")
NO_SIGNAL_MAX_WORDS = 5  # a message this short that answers nothing is not taken for a lead
_WORD = re.compile(r"(?<![:@#\w])[^\W\d_][\w'’-]*(?![\w:])")  # not :emoji:, @user or #channel


def can_move(current: LeadStatus, new: LeadStatus) -> bool:
    return new in TRANSITIONS[LeadStatus(current)]


def is_knocked_out(qualification: Qualification) -> bool:
    """The rubric put the lead in its knockout tier."""
    return qualification.tier == DISQUALIFIED_TIER


def status_after_qualification(qualification: Qualification) -> LeadStatus:
    """A new lead's status once it has its first qualification."""
    return LeadStatus.DISQUALIFIED if is_knocked_out(qualification) else LeadStatus.QUALIFIED


def without_knockout(qualification: Qualification, rubric: Rubric) -> Qualification:
    """The qualification as if its knockout had not hit: a person said it was wrong. The
    score is unchanged (knockouts never score); the tier follows from it."""
    if not qualification.knockout:
        return qualification
    tier = tier_for(rubric, qualification.score, None)
    return qualification.model_copy(
        update={"tier": tier, "knockout": None, "knockout_evidence": None}
    )


def has_lead_signal(qualification: Qualification, lead: Lead) -> bool:
    """Something to qualify: an answered criterion, a knockout, form fields, or more than a
    few words. "ok thanks everyone :wave:" has none; "Bob from Initech wants to fix their
    reporting." is a lead that answers nothing yet."""
    answered = any(result.value is not None for result in qualification.criteria)
    return (
        answered
        or qualification.knockout is not None
        or bool(lead.fields)
        or len(_WORD.findall(lead.text)) > NO_SIGNAL_MAX_WORDS
    )


def mentioned_users(text: str) -> list[str]:
    """User ids a lead's text names (`@U0BOSS`, as `plain_text` leaves a mention)."""
    return MENTIONED_USER.findall(text)


def is_slack_user_id(text: str | None) -> bool:
    """A Slack member id (U…, or W… on Enterprise Grid), as opposed to a name or an email:
    the one check for "can this be mentioned or messaged in Slack"."""
    return bool(text) and bool(_SLACK_USER_ID.match(text))


def unrouted_tiers(rubric: Rubric, sales_channel: str | None) -> list[str]:
    """Tiers whose summaries would have nowhere to go: no `channel:` and no default."""
    return [] if sales_channel else [tier.id for tier in rubric.tiers if not tier.channel]
