"""`leadbot export`: every lead as one record (its latest qualification, the answers with
their evidence, its claim history and outcome), read in one unit of work."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bot.store.repository import StoredLead, StoredOutcome
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import AnswerValue, Qualification


class ExportedAnswer(BaseModel):
    criterion: str
    label: str
    value: AnswerValue | None = None
    points: int
    evidence: str | None = None
    source: str | None = None


class ExportedClaim(BaseModel):
    event: str  # claimed or released
    by: str | None
    at: datetime


class ExportedLead(BaseModel):
    """One line of the JSONL export; the CSV flattens it."""

    lead_id: int
    external_id: str | None
    received_at: datetime
    source: str
    submitted_by: str | None
    status: str
    text: str
    fields: dict[str, str]
    rubric: str | None = None
    rubric_version: str | None = None
    score: int | None = None
    tier: str | None = None
    knockout: str | None = None
    answers: list[ExportedAnswer] = []
    claimed_by: str | None = None
    claims: list[ExportedClaim] = []
    outcome: StoredOutcome | None = None


def export_leads(uow: UnitOfWork, since: datetime | None = None) -> list[ExportedLead]:
    """Leads received since `since` (all without it), oldest first."""
    with uow as tx:
        outcomes = tx.leads.latest_outcomes()
        return [
            _exported(
                stored,
                tx.leads.latest_qualification(stored.id),
                tx.leads.claim_history(stored.id),
                outcomes.get(stored.id),
            )
            for stored in tx.leads.all_leads(since)
        ]


def _exported(
    stored: StoredLead,
    qualification: Qualification | None,
    claims: list[tuple[str, str | None, datetime]],
    outcome: StoredOutcome | None,
) -> ExportedLead:
    record = ExportedLead(
        lead_id=stored.id,
        external_id=stored.lead.id if stored.lead.id != str(stored.id) else None,
        received_at=stored.created_at,
        source=stored.lead.source,
        submitted_by=stored.lead.submitted_by,
        status=stored.status,
        text=stored.lead.text,
        fields=dict(stored.lead.fields),
        claimed_by=stored.claimed_by,
        claims=[ExportedClaim(event=kind, by=actor, at=at) for kind, actor, at in claims],
        outcome=outcome,
    )
    if qualification is None:
        return record
    answers = [
        ExportedAnswer(
            criterion=result.id,
            label=result.label,
            value=result.value,
            points=result.points,
            evidence=result.evidence,
            source=result.source,
        )
        for result in qualification.criteria
        if result.value is not None
    ]
    return record.model_copy(
        update={
            "rubric": qualification.rubric.name,
            "rubric_version": qualification.rubric.version,
            "score": qualification.score,
            "tier": qualification.tier,
            "knockout": qualification.knockout,
            "answers": answers,
        }
    )
