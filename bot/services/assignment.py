"""Who works a lead and how long it may wait: round-robin offers, reps away, escalation.

A tier with `assign: round_robin` offers each posted lead to one rep at a time, in turn,
skipping reps who said `/leadbot away` or are outside their working hours; the rep is
mentioned in the summary's thread and has the claim window to claim it, then the next rep is
asked (durable `OfferLead` work, due when the window ends). A lead its rep releases is offered
to the next rep at once, never again to a rep who had claimed it. When every rep was asked, or
nobody is available, anyone may claim. A lead still unclaimed after twice its SLA (in
working minutes) is escalated once to LEADBOT_ESCALATION_CHANNEL, also when it was claimed
then, and released later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.domain.lifecycle import CLOSED, EventKind, MessageKind
from bot.domain.work import Escalate, Handler, MentionAssignee, OfferLead, WorkMessage
from bot.render import summary as render
from bot.render.identity import lead_title
from bot.services.gateway import SlackGateway
from bot.services.rubric_holder import RubricHolder
from bot.store.database import utcnow
from bot.store.repository import StoredLead
from bot.store.unit_of_work import Transaction, UnitOfWork
from qualifiers.hours import due_after, is_working
from qualifiers.rubric import Rubric, TierRule

logger = logging.getLogger(__name__)


class AssignmentService:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        rubrics: RubricHolder,
        *,
        claim_window_minutes: int,
        escalation_channel: str | None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.uow = uow
        self.gateway = gateway
        self.rubrics = rubrics
        self.claim_window_minutes = claim_window_minutes
        self.escalation_channel = escalation_channel
        self.clock = clock

    def work_handlers(self) -> dict[type[WorkMessage], Handler]:
        return {OfferLead: self.offer, MentionAssignee: self.mention, Escalate: self.escalate}

    # --- /leadbot away | back ------------------------------------------------------------------

    def set_away(self, user: str, away: bool) -> str:
        with self.uow as tx:
            tx.leads.set_away(user, away)
        if away:
            return "You are away: round-robin passes you over until you say `/leadbot back`."
        return "Welcome back: round-robin offers you leads again."

    # --- offers --------------------------------------------------------------------------------

    def offer(self, message: OfferLead, _attempts: int = 1) -> None:
        """Offer the lead to the next available rep who was not asked yet, or open it to all."""
        rubric = self.rubrics.get()
        tier = rubric.tier(message.tier)
        if tier is None or tier.assign != "round_robin":
            return
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            if stored is None or stored.claimed_by or stored.status in CLOSED:
                return
            asked = [event.actor for event in tx.leads.events(stored.id, EventKind.ASSIGNED)]
            if len(asked) > message.round or tx.leads.latest_event(stored.id, EventKind.UNASSIGNED):
                return  # a retry of an offer already made
            had_it = {event.actor for event in tx.leads.events(stored.id, EventKind.CLAIMED)}
        reps = self._reps(tier)  # outside the transaction: may call Slack
        now = self.clock()
        with self.uow as tx:
            away = tx.leads.away_users(reps)
            turn = rotated(reps, tx.leads.last_assignee(tier.id))
            rep = next(
                (
                    r
                    for r in turn
                    if r not in asked
                    and r not in had_it
                    and r not in away
                    and _at_work(rubric, r, now)
                ),
                None,
            )
            if rep is None:
                tx.leads.add_event(stored.id, EventKind.UNASSIGNED, asked=len(asked))
                return
            window = tier.claim_window_minutes or self.claim_window_minutes
            until = now + timedelta(minutes=window)
            tx.leads.add_event(
                stored.id, EventKind.ASSIGNED, rep, tier=tier.id, until=until.isoformat()
            )
            tx.work.add(
                MentionAssignee(lead_id=stored.id, rep=rep, window_minutes=window),
                dedupe_key=f"mention:{stored.id}:{message.round}",
            )
            tx.work.add(
                OfferLead(lead_id=stored.id, tier=tier.id, round=message.round + 1),
                dedupe_key=f"offer:{stored.id}:{message.round + 1}",
                delay=timedelta(minutes=window),
            )

    def mention(self, message: MentionAssignee, _attempts: int = 1) -> None:
        """The assigned rep is mentioned in the summary's thread, unless it was claimed."""
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            location = tx.leads.slack_message(message.lead_id, MessageKind.SUMMARY)
        if stored is None or stored.claimed_by or location is None or location[1] is None:
            return
        text = render.assigned_text(message.rep, message.window_minutes)
        self.gateway.post_message(location[0], text, thread_ts=location[1])

    def schedule(self, tx: Transaction, stored: StoredLead, tier: TierRule, now: datetime) -> None:
        """After a lead is posted: its first round-robin offer and, with an SLA and an
        escalation channel, its escalation once twice the SLA (in working minutes) has
        passed. Once per lead (dedupe keys)."""
        if tier.assign == "round_robin":
            tx.work.add(
                OfferLead(lead_id=stored.id, tier=tier.id), dedupe_key=f"offer:{stored.id}:0"
            )
        if tier.sla_minutes is not None and self.escalation_channel:
            hours = self.rubrics.get().business_hours
            due = due_after(hours, now, 2 * tier.sla_minutes)
            tx.work.add(
                Escalate(lead_id=stored.id, tier=tier.id, sla_minutes=tier.sla_minutes),
                dedupe_key=f"escalate:{stored.id}",
                delay=due - now,
            )

    def _reps(self, tier: TierRule) -> list[str]:
        """The tier's reps in turn order: its list, then its user group's members."""
        reps = list(tier.reps)
        if tier.usergroup:
            reps += [u for u in self.gateway.usergroup_members(tier.usergroup) if u not in reps]
        return reps

    # --- escalation ----------------------------------------------------------------------------

    def escalate(self, message: Escalate, _attempts: int = 1) -> None:
        """Once per lead: unclaimed past twice its SLA, the escalation channel hears of it."""
        if not self.escalation_channel:
            return
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            if stored is None or stored.claimed_by or stored.status in CLOSED:
                return
            if tx.leads.latest_event(stored.id, EventKind.ESCALATED) is not None:
                return
            location = tx.leads.slack_message(stored.id, MessageKind.SUMMARY)
        if location is None or location[1] is None:
            return
        link = self.gateway.permalink(location[0], location[1])
        text = render.escalation_text(
            lead_title(stored.lead, stored.id), message.tier, 2 * message.sla_minutes, link
        )
        self.gateway.post_message(self.escalation_channel, text)
        with self.uow as tx:
            tx.leads.add_event(stored.id, EventKind.ESCALATED, channel=self.escalation_channel)


def after_release(tx: Transaction, rubric: Rubric, stored: StoredLead, now: datetime) -> None:
    """A released lead of a round-robin tier is offered to the next rep now (the offer made
    when the window ends may be long past); with an SLA, its escalation is due again (at twice
    the SLA after it arrived, or now if that has passed): the one queued at posting may have
    found it claimed. `Escalate` posts at most once per lead."""
    qualification = tx.leads.latest_qualification(stored.id)
    tier = rubric.tier(qualification.tier) if qualification else None
    if tier is None:
        return
    releases = len(tx.leads.events(stored.id, EventKind.RELEASED))
    if tier.assign == "round_robin":
        offers = len(tx.leads.events(stored.id, EventKind.ASSIGNED))
        tx.work.add(
            OfferLead(lead_id=stored.id, tier=tier.id, round=offers),
            dedupe_key=f"offer:{stored.id}:{offers}:released:{releases}",
        )
    if tier.sla_minutes is not None:
        arrived = stored.created_at
        arrived = arrived if arrived.tzinfo else arrived.replace(tzinfo=UTC)  # SQLite: naive
        due = due_after(rubric.business_hours, arrived, 2 * tier.sla_minutes)
        tx.work.add(
            Escalate(lead_id=stored.id, tier=tier.id, sla_minutes=tier.sla_minutes),
            dedupe_key=f"escalate:{stored.id}:released:{releases}",
            delay=max(due - now, timedelta(0)),
        )


def rotated(reps: list[str], last: str | None) -> list[str]:
    """`reps` starting after `last` (the rep whose turn it was), so turns go round."""
    if last not in reps:
        return list(reps)
    start = reps.index(last) + 1
    return reps[start:] + reps[:start]


def assignee(tx: Transaction, lead_id: int, now: datetime) -> str | None:
    """The rep whose claim window on the lead is still open, if any."""
    offer = tx.leads.latest_event(lead_id, EventKind.ASSIGNED)
    if offer is None or tx.leads.latest_event(lead_id, EventKind.UNASSIGNED) is not None:
        return None
    until = datetime.fromisoformat(offer.data["until"])
    return offer.actor if now < until else None


def _at_work(rubric: Rubric, rep: str, now: datetime) -> bool:
    hours = rubric.hours_of(rep)
    return hours is None or is_working(hours, now)
