"""Round-robin assignment, reps away or off hours, claim windows, working-hours SLAs and
escalation, against the in-memory unit of work and gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from services.conftest import MANAGER, SALES

from bot.domain.lifecycle import EventKind, LeadSource
from bot.domain.permissions import Managers
from bot.domain.work import Escalate, MentionAssignee, OfferLead, ProcessLead, SlaReminder
from bot.services.assignment import AssignmentService, rotated
from bot.services.claims import ClaimsService
from bot.services.deliver import DeliverService
from bot.services.receive import ReceiveService
from bot.services.rubric_holder import RubricHolder
from qualifiers.hours import BusinessHours
from qualifiers.models import Lead
from qualifiers.rubric import load_rubric

ESCALATION = "CESCALATE"
ANNA, BEN, CARL = "UANNA", "UBEN", "UCARL"
PARIS = BusinessHours(timezone="Europe/Paris")  # Monday to Friday, 09:00-17:00
MONDAY_10_PARIS = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10_PARIS)


@pytest.fixture
def rubrics() -> RubricHolder:
    """The default rubric with warm leads (the scripted qualifier's tier) dealt round-robin
    among three reps, SLAs in Paris working hours, and Carl working Tokyo hours."""
    rubric = load_rubric()
    tiers = [
        tier.model_copy(
            update={
                "assign": "round_robin",
                "reps": [ANNA, BEN, CARL],
                "claim_window_minutes": 10,
                "sla_minutes": 60,
            }
        )
        if tier.id == "warm"
        else tier
        for tier in rubric.tiers
    ]
    tokyo = BusinessHours(timezone="Asia/Tokyo")
    rubric = rubric.model_copy(
        update={"tiers": tiers, "business_hours": PARIS, "rep_hours": {CARL: tokyo}}
    )
    return RubricHolder(rubric, Path("rubric.yaml"))


@pytest.fixture
def assignment(uow, gateway, rubrics, clock) -> AssignmentService:
    return AssignmentService(
        uow, gateway, rubrics, claim_window_minutes=15, escalation_channel=ESCALATION, clock=clock
    )


@pytest.fixture
def deliver(uow, gateway, qualify, rubrics, poster, assignment, clock) -> DeliverService:
    return DeliverService(
        uow,
        gateway,
        qualify,
        rubrics,
        poster,
        sales_channel=SALES,
        assignment=assignment,
        clock=clock,
    )


@pytest.fixture
def claims(uow, rubrics, clock) -> ClaimsService:
    return ClaimsService(uow, Managers([MANAGER]), rubrics, clock=clock)


def post_lead(receive: ReceiveService, deliver: DeliverService, n: int) -> int:
    stored, _ = receive.receive(
        Lead(text=f"CFO, budget 50k ({n})", source=LeadSource.SLACK_MODAL, submitted_by="UMKT"),
        dedupe_key=f"modal:{n}",
    )
    deliver.process(ProcessLead(lead_id=stored.id))
    return stored.id


def run_offers(uow, assignment) -> None:
    """Run every queued offer and mention once (what the worker does when they are due)."""
    for message in uow.queued(OfferLead):
        assignment.offer(message)
    for message in uow.queued(MentionAssignee):
        assignment.mention(message)


def offered(uow, lead_id) -> list[str]:
    with uow as tx:
        return [event.actor for event in tx.leads.events(lead_id, EventKind.ASSIGNED)]


def test_rotated_goes_on_after_the_last_rep():
    assert rotated([ANNA, BEN, CARL], None) == [ANNA, BEN, CARL]
    assert rotated([ANNA, BEN, CARL], BEN) == [CARL, ANNA, BEN]
    assert rotated([ANNA, BEN], "UGONE") == [ANNA, BEN]


def test_leads_go_round_the_reps_at_work_and_each_is_mentioned(
    uow, gateway, receive, deliver, assignment
):
    first = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)
    second = post_lead(receive, deliver, 2)
    for message in uow.queued(OfferLead):
        if message.lead_id == second and message.round == 0:
            assignment.offer(message)
    third = post_lead(receive, deliver, 3)
    for message in uow.queued(OfferLead):
        if message.lead_id == third and message.round == 0:
            assignment.offer(message)

    # Carl works Tokyo hours (18:00 there): passed over; the turn goes Anna, Ben, Anna.
    assert [offered(uow, lead)[0] for lead in (first, second, third)] == [ANNA, BEN, ANNA]
    [mention] = [c for c in gateway.named("post_message") if "your turn" in c.args[1]]
    assert mention.args[0] == SALES and mention.kwargs["thread_ts"]
    assert "<@UANNA>" in mention.args[1] and "10 min" in mention.args[1]
    [next_offer] = [w for w in uow.state.work if w.dedupe_key == f"offer:{first}:1"]
    assert next_offer.delay == timedelta(minutes=10)


def test_when_the_window_passes_the_next_rep_is_asked_then_anyone(
    uow, receive, deliver, assignment, clock
):
    lead = post_lead(receive, deliver, 1)
    for _ in range(4):
        run_offers(uow, assignment)
        clock.now += timedelta(minutes=10)
    run_offers(uow, assignment)  # retries change nothing

    assert offered(uow, lead) == [ANNA, BEN]
    with uow as tx:
        assert tx.leads.latest_event(lead, EventKind.UNASSIGNED) is not None


def test_a_rep_away_is_passed_over_until_back(uow, receive, deliver, assignment):
    assert "away" in assignment.set_away(ANNA, True)
    first = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)
    assignment.set_away(ANNA, False)
    second = post_lead(receive, deliver, 2)
    for message in uow.queued(OfferLead):
        if message.lead_id == second:
            assignment.offer(message)

    assert offered(uow, first) == [BEN]
    assert offered(uow, second) == [ANNA]


def test_a_user_group_adds_its_members_in_turn(uow, gateway, rubrics, receive, deliver, assignment):
    warm = rubrics.get().tier("warm")
    tiers = [
        warm.model_copy(update={"reps": [], "usergroup": "SSALES"}) if t.id == "warm" else t
        for t in rubrics.get().tiers
    ]
    rubrics._rubric = rubrics.get().model_copy(update={"tiers": tiers})
    gateway.usergroups["SSALES"] = [BEN, ANNA]
    lead = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)

    assert offered(uow, lead) == [BEN]
    assert gateway.named("usergroup_members")[0].args == ("SSALES",)


def test_only_the_assigned_rep_claims_while_the_window_is_open(
    uow, receive, deliver, assignment, claims, clock
):
    lead = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)

    assert claims.claim(lead, BEN, SALES) is False
    [refusal] = [
        w.message for w in uow.state.work if "offered to" in getattr(w.message, "text", "")
    ]
    assert "<@UANNA>" in refusal.text
    clock.now += timedelta(minutes=10, seconds=1)
    assert claims.claim(lead, BEN, SALES) is True


def test_the_assigned_rep_or_a_manager_may_claim(uow, receive, deliver, assignment, claims):
    lead = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)
    assert claims.claim(lead, MANAGER, SALES) is True

    other = post_lead(receive, deliver, 2)
    for message in uow.queued(OfferLead):
        if message.lead_id == other:
            assignment.offer(message)
    assert claims.claim(other, BEN, SALES) is True  # Ben's turn now
    assert offered(uow, other) == [BEN]


def test_a_claimed_lead_is_offered_no_further(uow, gateway, receive, deliver, assignment, claims):
    lead = post_lead(receive, deliver, 1)
    claims.claim(lead, MANAGER, SALES)
    run_offers(uow, assignment)
    assert offered(uow, lead) == []


def test_sla_reminder_and_escalation_count_working_minutes(uow, receive, deliver, clock):
    clock.now = datetime(2026, 1, 9, 15, 30, tzinfo=UTC)  # Friday 16:30 in Paris
    post_lead(receive, deliver, 1)

    [reminder] = [w for w in uow.state.work if isinstance(w.message, SlaReminder)]
    [escalation] = [w for w in uow.state.work if isinstance(w.message, Escalate)]
    # 30 minutes on Friday, the rest on Monday from 09:00 Paris (08:00 UTC).
    assert clock.now + reminder.delay == datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
    assert clock.now + escalation.delay == datetime(2026, 1, 12, 9, 30, tzinfo=UTC)


def test_escalation_is_posted_once_and_not_for_a_claimed_lead(
    uow, gateway, receive, deliver, assignment, claims
):
    lead = post_lead(receive, deliver, 1)
    claimed = post_lead(receive, deliver, 2)
    claims.claim(claimed, MANAGER, SALES)
    for message in uow.queued(Escalate):
        assignment.escalate(message)
        assignment.escalate(message)  # a retry

    [told] = [c for c in gateway.named("post_message") if c.args[0] == ESCALATION]
    assert "twice its SLA" in told.args[1] and "2 h" in told.args[1]
    assert "https://example.slack.com/archives/" in told.args[1]
    with uow as tx:
        assert tx.leads.latest_event(lead, EventKind.ESCALATED) is not None
        assert tx.leads.latest_event(claimed, EventKind.ESCALATED) is None


def test_without_an_escalation_channel_nothing_is_scheduled(
    uow, gateway, qualify, rubrics, poster, receive, clock
):
    quiet = AssignmentService(
        uow, gateway, rubrics, claim_window_minutes=15, escalation_channel=None, clock=clock
    )
    deliver = DeliverService(
        uow, gateway, qualify, rubrics, poster, sales_channel=SALES, assignment=quiet, clock=clock
    )
    post_lead(receive, deliver, 1)
    assert uow.queued(Escalate) == []
    assert len(uow.queued(OfferLead)) == 1


def queued_after_release(uow, kind: str) -> list:
    """The work a release queued (the worker runs each once), not what posting queued."""
    return [w for w in uow.state.work if w.dedupe_key and w.dedupe_key.startswith(kind)
            and ":released:" in w.dedupe_key]  # fmt: skip


def test_a_released_lead_is_offered_to_the_next_rep_at_once_never_back_to_its_claimer(
    uow, gateway, receive, deliver, assignment, claims, clock
):
    lead = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)
    assert claims.claim(lead, ANNA, SALES) is True
    clock.now += timedelta(minutes=30)
    run_offers(uow, assignment)  # Anna's window ended while she held it: no one else asked
    assert offered(uow, lead) == [ANNA]

    assert claims.release(lead, ANNA, SALES) is True
    [reoffer] = queued_after_release(uow, "offer:")
    assert reoffer.delay is None  # now, not when some window ends
    assignment.offer(reoffer.message)
    for message in uow.queued(MentionAssignee):
        assignment.mention(message)

    assert offered(uow, lead) == [ANNA, BEN]  # Carl is off hours
    assert any("<@UBEN>" in c.args[1] for c in gateway.named("post_message"))
    clock.now += timedelta(minutes=10)
    run_offers(uow, assignment)  # Ben lets his window pass: Anna had it, Carl is off hours
    assert offered(uow, lead) == [ANNA, BEN]
    with uow as tx:
        assert tx.leads.latest_event(lead, EventKind.UNASSIGNED) is not None


def test_a_release_passes_over_reps_away_and_opens_the_lead_when_no_one_is_left(
    uow, receive, deliver, assignment, claims
):
    lead = post_lead(receive, deliver, 1)
    run_offers(uow, assignment)
    claims.claim(lead, ANNA, SALES)
    assignment.set_away(BEN, True)
    claims.release(lead, MANAGER, SALES)  # a manager takes it back from Anna

    [reoffer] = queued_after_release(uow, "offer:")
    assignment.offer(reoffer.message)
    assert offered(uow, lead) == [ANNA]
    with uow as tx:
        assert tx.leads.latest_event(lead, EventKind.UNASSIGNED) is not None
    assert claims.claim(lead, CARL, SALES) is True  # open to anyone now


def test_a_lead_claimed_when_its_escalation_was_due_is_escalated_once_after_release(
    uow, gateway, receive, deliver, assignment, claims, clock
):
    lead = post_lead(receive, deliver, 1)
    claims.claim(lead, MANAGER, SALES)
    clock.now += timedelta(hours=3)  # past twice the 60-minute SLA, in Paris working hours
    for message in uow.queued(Escalate):
        assignment.escalate(message)  # claimed: nothing to escalate
    assert not [c for c in gateway.named("post_message") if c.args[0] == ESCALATION]

    claims.release(lead, MANAGER, SALES)
    [again] = queued_after_release(uow, "escalate:")
    assert again.delay == timedelta(0)  # twice the SLA has passed: due now
    assignment.escalate(again.message)
    assignment.escalate(again.message)  # a retry
    claims.claim(lead, MANAGER, SALES)
    claims.release(lead, MANAGER, SALES)
    for work in queued_after_release(uow, "escalate:"):
        assignment.escalate(work.message)

    assert len([c for c in gateway.named("post_message") if c.args[0] == ESCALATION]) == 1


def test_a_release_before_twice_the_sla_leaves_the_escalation_due_when_it_was(
    uow, receive, deliver, claims, clock
):
    lead = post_lead(receive, deliver, 1)
    claims.claim(lead, MANAGER, SALES)
    clock.now += timedelta(minutes=30)
    claims.release(lead, MANAGER, SALES)

    [again] = queued_after_release(uow, "escalate:")
    assert again.delay == timedelta(minutes=90)  # 120 working minutes after it arrived
