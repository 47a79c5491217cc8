"""In-memory stand-ins for the services' two dependencies: a Slack gateway that records
every call, and a unit of work over plain dicts with the same commit/rollback contract as
`bot.store.unit_of_work.UnitOfWork`. Services run against them in microseconds."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain.lifecycle import UNPOSTED, EventKind, LeadStatus, MessageKind
from bot.domain.work import WorkMessage
from bot.services.gateway import DeliveryError
from bot.store.repository import ClaimResult, LeadEvent, StoredLead, content_dedupe_key
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
        self._ts = itertools.count(1)

    def named(self, method: str) -> list[GatewayCall]:
        return [call for call in self.calls if call.method == method]

    def _record(self, method: str, *args, **kwargs) -> None:
        self.calls.append(GatewayCall(method, args, kwargs))
        if method in self.fail:
            raise DeliveryError(method, self.fail[method])

    def post_message(self, channel, text, *, blocks=None, thread_ts=None, broadcast=False):
        self._record(
            "post_message", channel, text, blocks=blocks, thread_ts=thread_ts, broadcast=broadcast
        )
        channel_id = f"D{channel}" if channel.startswith(("U", "W")) else channel
        return channel_id, f"1700000000.{next(self._ts):06d}"

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


@dataclass
class MemoryState:
    leads: dict[int, _Row] = field(default_factory=dict)
    events: list[tuple[int, LeadEvent]] = field(default_factory=list)
    messages: dict[tuple[int, MessageKind], tuple[str, str | None]] = field(default_factory=dict)
    work: list[QueuedWork] = field(default_factory=list)
    rubric_changes: list[RubricChange] = field(default_factory=list)


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

    def get_lead(self, lead_id: int) -> StoredLead | None:
        row = self.state.leads.get(lead_id)
        return row.stored if row else None

    def recent_leads(self, limit: int) -> list[StoredLead]:
        return [row.stored for _, row in sorted(self.state.leads.items(), reverse=True)][:limit]

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
        self._update(lead_id, status=status)
        self.add_event(lead_id, EventKind(status), actor, **data)

    def append_text(self, lead_id, addition, actor) -> None:
        lead = self.state.leads[lead_id].stored.lead
        text = f"{lead.text}\n{addition}" if lead.text else addition
        self._update(lead_id, lead=lead.model_copy(update={"text": text}))
        self.add_event(lead_id, EventKind.ANSWERED, actor, text=addition)

    def add_event(self, lead_id, kind, actor=None, **data) -> None:
        self.state.events.append((lead_id, LeadEvent(kind=kind, actor=actor, data=data)))

    def latest_event(self, lead_id, kind) -> LeadEvent | None:
        matching = [e for i, e in self.state.events if i == lead_id and e.kind == kind]
        return matching[-1] if matching else None

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

    def add_qualification(self, lead_id, qualification) -> None:
        self.state.leads[lead_id].qualifications.append(qualification)
        self.add_event(
            lead_id, EventKind.QUALIFIED, score=qualification.score, tier=qualification.tier
        )

    def latest_qualification(self, lead_id) -> Qualification | None:
        qualifications = self.state.leads[lead_id].qualifications
        return qualifications[-1] if qualifications else None

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

    def queued(self, message_class: type[WorkMessage] | None = None) -> list[WorkMessage]:
        return [
            w.message
            for w in self.state.work
            if message_class is None or isinstance(w.message, message_class)
        ]
