"""In-memory stand-ins for the services' two dependencies: a Slack gateway that records
every call, and a unit of work over plain dicts with the same commit/rollback contract as
`bot.store.unit_of_work.UnitOfWork`. Services run against them in microseconds."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain.lifecycle import CLOSED, UNPOSTED, EventKind, LeadStatus, MessageKind, can_move
from bot.domain.work import WorkMessage
from bot.services.gateway import DeliveryError
from bot.store.posts import PostIntent, PostRecord
from bot.store.repository import (
    ClaimResult,
    LeadEvent,
    StoredLead,
    StoredOutcome,
    content_dedupe_key,
)
from bot.store.rubric_audit import RubricChange
from qualifiers.models import Lead, Qualification

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class GatewayCall:
    method: str
    args: tuple
    kwargs: dict


class RecordingGateway:
    """Implements `SlackGateway`; `fail[method] = "error"` makes the next calls of that
    method raise `DeliveryError` until cleared."""

    def __init__(self) -> None:
        self.calls: list[GatewayCall] = []
        self.fail: dict[str, str] = {}
        self.files: dict[str, bytes] = {}
        self.file_infos: dict[str, dict] = {}
        self.names: dict[str, str] = {}
        self.posted: dict[str, list[dict]] = {}  # channel id -> messages, as Slack keeps them
        self.usergroups: dict[str, list[str]] = {}
        self._ts = itertools.count(1)

    def named(self, method: str) -> list[GatewayCall]:
        return [call for call in self.calls if call.method == method]

    def _record(self, method: str, *args, **kwargs) -> None:
        self.calls.append(GatewayCall(method, args, kwargs))
        if method in self.fail:
            raise DeliveryError(method, self.fail[method])

    def post_message(
        self, channel, text, *, blocks=None, thread_ts=None, broadcast=False, metadata=None
    ):
        self._record(
            "post_message",
            channel,
            text,
            blocks=blocks,
            thread_ts=thread_ts,
            broadcast=broadcast,
            metadata=metadata,
        )
        channel_id = self._channel_id(channel)
        ts = f"1700000000.{next(self._ts):06d}"
        message = {"ts": ts, "text": text, "thread_ts": thread_ts, "metadata": metadata}
        self.posted.setdefault(channel_id, []).append(message)
        return channel_id, ts

    def recent_messages(self, channel, *, oldest, thread_ts=None):
        self._record("recent_messages", channel, oldest=oldest, thread_ts=thread_ts)
        channel_id = self._channel_id(channel)
        messages = self.posted.get(channel_id, [])
        if thread_ts is not None:
            messages = [m for m in messages if thread_ts in (m["ts"], m["thread_ts"])]
        return channel_id, list(messages)

    @staticmethod
    def _channel_id(channel: str) -> str:
        return f"D{channel}" if channel.startswith(("U", "W")) else channel

    def update_message(self, channel, ts, text, *, blocks=None):
        self._record("update_message", channel, ts, text, blocks=blocks)

    def post_ephemeral(self, channel, user, text):
        self._record("post_ephemeral", channel, user, text)

    def permalink(self, channel, ts):
        self._record("permalink", channel, ts)
        return f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def add_reaction(self, channel, ts, name):
        self._record("add_reaction", channel, ts, name)

    def download_file(self, url, *, max_bytes, timeout):
        self._record("download_file", url, max_bytes=max_bytes, timeout=timeout)
        return self.files[url]

    def file_info(self, file_id):
        self._record("file_info", file_id)
        return self.file_infos[file_id]

    def user_name(self, user):
        self._record("user_name", user)
        return self.names.get(user, user.lower())

    def user_email(self, user):
        self._record("user_email", user)
        return f"{user.lower()}@example.com"

    def usergroup_members(self, usergroup):
        self._record("usergroup_members", usergroup)
        return list(self.usergroups.get(usergroup, []))

    def open_view(self, trigger_id, view):
        self._record("open_view", trigger_id, view)

    def publish_home(self, user, view):
        self._record("publish_home", user, view)


@dataclass
class _Row:
    stored: StoredLead
    dedupe_key: str
    qualifications: list[Qualification] = field(default_factory=list)


@dataclass
class QueuedWork:
    message: WorkMessage
    dedupe_key: str | None
    delay: timedelta | None
    priority: int = 0


class NoPacing:
    """A `Pacer` that never makes a post wait."""

    def acquire(self, channel: str, *, urgent: bool = False) -> float:
        return 0.0

    def hold(self, channel: str, seconds: float) -> None:
        pass


@dataclass
class MemoryState:
    leads: dict[int, _Row] = field(default_factory=dict)
    events: list[tuple[int, LeadEvent]] = field(default_factory=list)
    messages: dict[tuple[int, MessageKind], tuple[str, str | None]] = field(default_factory=dict)
    work: list[QueuedWork] = field(default_factory=list)
    outcomes: list[tuple[int, StoredOutcome]] = field(default_factory=list)
    rubric_changes: list[RubricChange] = field(default_factory=list)
    posts: dict[str, PostRecord] = field(default_factory=dict)


class MemoryLeads:
    """`LeadRepository`'s methods the services call, over `MemoryState`."""

    def __init__(self, state: MemoryState):
        self.state = state

    def add_lead(self, lead: Lead, *, dedupe_key=None, intake_channel=None, intake_ts=None):
        key = dedupe_key or content_dedupe_key(lead)
        for row in self.state.leads.values():
            if row.dedupe_key == key:
                return row.stored, False
        lead_id = len(self.state.leads) + 1
        stored = StoredLead(
            id=lead_id,
            lead=lead.model_copy(update={"id": lead.id or str(lead_id)}),
            status=LeadStatus.RECEIVED,
            intake_channel=intake_channel,
            intake_ts=intake_ts,
            created_at=NOW,
        )
        self.state.leads[lead_id] = _Row(stored, key)
        self.add_event(lead_id, EventKind.RECEIVED, lead.submitted_by, source=lead.source)
        return stored, True

    def add_arrivals(self, arrivals):
        return [
            self.add_lead(
                a.lead,
                dedupe_key=a.dedupe_key,
                intake_channel=a.intake_channel,
                intake_ts=a.intake_ts,
            )
            for a in arrivals
        ]

    def add_leads(self, leads, dedupe_keys=None, *, intake_channel=None, intake_ts=None):
        keys = dedupe_keys or [None] * len(leads)
        return [
            self.add_lead(lead, dedupe_key=key, intake_channel=intake_channel, intake_ts=intake_ts)
            for lead, key in zip(leads, keys, strict=True)
        ]

    def get_lead(self, lead_id: int) -> StoredLead | None:
        row = self.state.leads.get(lead_id)
        return row.stored if row else None

    def leads_by_ids(self, lead_ids) -> list[StoredLead]:
        return [self.state.leads[i].stored for i in lead_ids if i in self.state.leads]

    def recent_leads(self, limit: int) -> list[StoredLead]:
        return [row.stored for _, row in sorted(self.state.leads.items(), reverse=True)][:limit]

    def all_leads(self, since=None) -> list[StoredLead]:
        return [row.stored for _, row in sorted(self.state.leads.items())]

    def find_by_intake(self, channel: str, ts: str) -> StoredLead | None:
        return next(
            (
                row.stored
                for row in self.state.leads.values()
                if (row.stored.intake_channel, row.stored.intake_ts) == (channel, ts)
            ),
            None,
        )

    def find_by_slack_message(self, kind, channel, ts) -> StoredLead | None:
        for (lead_id, message_kind), location in self.state.messages.items():
            if message_kind == kind and location == (channel, ts):
                return self.get_lead(lead_id)
        return None

    def set_status(self, lead_id, status, actor=None, **data) -> None:
        ended = {"claimed_by": None, "claimed_at": None} if status in CLOSED else {}
        self._update(lead_id, status=status, **ended)
        self.add_event(lead_id, EventKind(status), actor, **data)

    def move_received(self, moves) -> None:
        for lead_id, status, data in moves:
            if self.state.leads[lead_id].stored.status == LeadStatus.RECEIVED:
                self.set_status(lead_id, status, **data)

    def add_answer(self, lead_id, text, actor, **found) -> None:
        self.add_event(lead_id, EventKind.ANSWERED, actor, text=text, **found)

    def revise(self, lead_id, text, fields, actor) -> None:
        lead = self.state.leads[lead_id].stored.lead
        self._update(lead_id, lead=lead.model_copy(update={"text": text, "fields": dict(fields)}))
        self.add_event(lead_id, EventKind.EDITED, actor, previous=lead.text)

    def events(self, lead_id, kind) -> list[LeadEvent]:
        return [e for i, e in self.state.events if i == lead_id and e.kind == kind]

    def add_event(self, lead_id, kind, actor=None, **data) -> None:
        self.state.events.append((lead_id, LeadEvent(kind=kind, actor=actor, data=data)))

    def latest_event(self, lead_id, kind) -> LeadEvent | None:
        matching = [e for i, e in self.state.events if i == lead_id and e.kind == kind]
        return matching[-1] if matching else None

    def last_assignee(self, tier) -> str | None:
        offers = [e for _, e in self.state.events if e.kind == EventKind.ASSIGNED]
        return next((e.actor for e in reversed(offers) if e.data.get("tier") == tier), None)

    def set_away(self, user, away) -> None:
        self.add_event(None, EventKind.AWAY if away else EventKind.BACK, user)

    def away_users(self, users) -> set[str]:
        latest = {
            e.actor: e.kind == EventKind.AWAY
            for _, e in self.state.events
            if e.kind in (EventKind.AWAY, EventKind.BACK) and e.actor in set(users)
        }
        return {user for user, away in latest.items() if away}

    def claim(self, lead_id, user) -> ClaimResult:
        stored = self.state.leads[lead_id].stored
        if stored.claimed_by is not None:
            return ClaimResult(won=False, claimed_by=stored.claimed_by)
        self._update(lead_id, claimed_by=user, claimed_at=NOW, status=LeadStatus.CLAIMED)
        self.add_event(lead_id, EventKind.CLAIMED, user)
        return ClaimResult(won=True, claimed_by=user)

    def release(self, lead_id, user, *, by_manager=False) -> bool:
        claimed_by = self.state.leads[lead_id].stored.claimed_by
        if claimed_by is None or (claimed_by != user and not by_manager):
            return False
        self._update(lead_id, claimed_by=None, claimed_at=None, status=LeadStatus.POSTED)
        self.add_event(lead_id, EventKind.RELEASED, user)
        return True

    def record_outcome(self, lead_id, outcome, actor, *, origin, occurred_on=None) -> bool:
        stored = StoredOutcome(
            outcome=outcome, actor=actor, origin=origin, occurred_on=occurred_on, created_at=NOW
        )
        self.state.outcomes.append((lead_id, stored))
        on = occurred_on.isoformat() if occurred_on else None
        self.add_event(lead_id, EventKind.OUTCOME, actor, outcome=outcome, origin=origin, on=on)
        status = self.state.leads[lead_id].stored.status
        if status == outcome.status or not can_move(status, outcome.status):
            return False
        self._update(lead_id, status=outcome.status)
        return True

    def latest_outcome(self, lead_id) -> StoredOutcome | None:
        return self.latest_outcomes().get(lead_id)

    def latest_outcomes(self) -> dict[int, StoredOutcome]:
        return dict(self.state.outcomes)

    def add_qualification(self, lead_id, qualification) -> None:
        self.state.leads[lead_id].qualifications.append(qualification)
        self.add_event(
            lead_id, EventKind.QUALIFIED, score=qualification.score, tier=qualification.tier
        )

    def add_qualifications(self, results) -> None:
        for lead_id, qualification in results:
            self.add_qualification(lead_id, qualification)

    def latest_qualification(self, lead_id) -> Qualification | None:
        qualifications = self.state.leads[lead_id].qualifications
        return qualifications[-1] if qualifications else None

    def latest_qualifications(self, lead_ids) -> dict[int, Qualification]:
        latest = {lead_id: self.latest_qualification(lead_id) for lead_id in lead_ids}
        return {lead_id: q for lead_id, q in latest.items() if q is not None}

    def slack_message(self, lead_id, kind):
        return self.state.messages.get((lead_id, kind))

    def save_slack_message(self, lead_id, kind, channel, ts) -> None:
        self.state.messages[(lead_id, kind)] = (channel, ts)

    def mark_posted(self, lead_id, channel, ts) -> None:
        self.save_slack_message(lead_id, MessageKind.SUMMARY, channel, ts)
        if self.state.leads[lead_id].stored.status in UNPOSTED:
            self._update(lead_id, status=LeadStatus.POSTED)
        self.add_event(lead_id, EventKind.POSTED, channel=channel, ts=ts)

    def _update(self, lead_id: int, **changes) -> None:
        row = self.state.leads[lead_id]
        row.stored = row.stored.model_copy(update=changes)


class MemoryOutbox:
    def __init__(self, state: MemoryState):
        self.state = state
        self.added = 0

    def add(self, message: WorkMessage, *, dedupe_key=None, delay=None, priority=None) -> bool:
        if dedupe_key is not None and any(w.dedupe_key == dedupe_key for w in self.state.work):
            return False
        priority = message.default_priority if priority is None else priority
        self.state.work.append(QueuedWork(message, dedupe_key, delay, priority))
        self.added += 1
        return True


class MemoryPosts:
    """`SlackPostLog` over `MemoryState`."""

    def __init__(self, state: MemoryState):
        self.state = state

    def get(self, key: str) -> PostRecord | None:
        return self.state.posts.get(key)

    def add_intent(self, intent: PostIntent) -> bool:
        if intent.key in self.state.posts:
            return False
        self.state.posts[intent.key] = PostRecord(**intent.model_dump(), created_at=NOW)
        return True

    def record(self, key: str, channel: str, ts: str) -> None:
        self.state.posts[key] = self.state.posts[key].model_copy(
            update={"posted_channel": channel, "ts": ts}
        )

    def unresolved(self, since, limit) -> list[PostRecord]:
        return [p for p in self.state.posts.values() if p.ts is None][:limit]


class MemoryRubricChanges:
    def __init__(self, state: MemoryState):
        self.state = state

    def add(self, *, actor, old_version, new_version, rubric_yaml) -> RubricChange:
        change = RubricChange(
            id=len(self.state.rubric_changes) + 1,
            actor=actor,
            old_version=old_version,
            new_version=new_version,
            rubric_yaml=rubric_yaml,
            created_at=NOW,
        )
        self.state.rubric_changes.append(change)
        return change


class MemoryTransaction:
    def __init__(self, state: MemoryState):
        self.leads = MemoryLeads(state)
        self.work = MemoryOutbox(state)
        self.posts = MemoryPosts(state)
        self.rubric_changes = MemoryRubricChanges(state)


class MemoryUnitOfWork:
    """Each `with` works on a copy of the state; the copy replaces it only on success, so a
    use case that raises leaves nothing behind, as a rolled-back transaction does."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.commits = 0
        self.woken = 0
        self._open: tuple[MemoryState, MemoryTransaction] | None = None

    def __enter__(self) -> MemoryTransaction:
        if self._open is not None:
            raise RuntimeError("a use case is one unit of work: do not nest `with uow`")
        draft = copy.deepcopy(self.state)
        self._open = (draft, MemoryTransaction(draft))
        return self._open[1]

    def __exit__(self, exc_type, exc, traceback) -> None:
        (draft, transaction), self._open = self._open, None
        if exc_type is None:
            self.state = draft
            self.commits += 1
            if transaction.work.added:
                self.woken += 1

    def store_arrivals(self, arrivals, work) -> list:
        with self as tx:
            received = tx.leads.add_arrivals(arrivals)
            for stored, _ in received:
                tx.work.add(work.message(lead_id=stored.id), dedupe_key=work.key(stored.id))
        return received

    def queued(self, message_class: type[WorkMessage] | None = None) -> list[WorkMessage]:
        return [
            w.message
            for w in self.state.work
            if message_class is None or isinstance(w.message, message_class)
        ]
