"""Qualify stored leads: the model or the offline rules extract, the rubric scores, and the
result is stored as a new qualification row (a new lead also moves out of `received`).

The qualifier runs outside any transaction (a model call can take seconds); storing its
result is one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.lifecycle import (
    EventKind,
    status_after_qualification,
    without_knockout,
)
from bot.services.rubric_holder import RubricHolder
from bot.store.repository import LeadEvent, LeadRepository, StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Answer, Extraction, KnockoutHit, Lead, Qualification
from qualifiers.qualifier import Qualifier
from qualifiers.scoring import score


class QualifyService:
    def __init__(self, uow: UnitOfWork, qualifier: Qualifier, rubrics: RubricHolder):
        self.uow = uow
        self.qualifier = qualifier
        self.rubrics = rubrics
        self._answer_reader = OfflineExtractor()

    def qualify(self, stored: StoredLead) -> Qualification:
        """A fresh qualification under the rubric in force, with the thread's answers (the
        latest answer for a criterion wins) and any knockout override, stored."""
        rubric = self.rubrics.get()
        with self.uow as tx:
            answers = tx.leads.events(stored.id, EventKind.ANSWERED)
            overridden = tx.leads.latest_event(stored.id, EventKind.KNOCKOUT_OVERRIDDEN)
        if answers:
            lead = stored.lead.model_copy(
                update={"text": "\n".join([stored.lead.text, *(a.data["text"] for a in answers)])}
            )
            extraction, usage = self.qualifier.extractor.extract(lead, rubric)
            extraction = with_answers(extraction, answers)
            qualification = score(
                rubric, extraction, qualifier=self.qualifier.name, lead_id=lead.id, usage=usage
            )
        else:
            qualification = self.qualifier.qualify(stored.lead, rubric)
        if overridden is not None:
            qualification = without_knockout(qualification, rubric)
        with self.uow as tx:
            save_qualification(tx.leads, stored, qualification)
        return qualification

    def answers_in(self, text: str) -> Extraction:
        """What a thread reply answers on its own (the offline rules, whatever the qualifier:
        deciding that "thanks!" answers nothing must not cost a model call)."""
        return self._answer_reader.extract(Lead(text=text), self.rubrics.get())[0]

    def latest_or_qualify(self, stored: StoredLead) -> Qualification:
        with self.uow as tx:
            known = tx.leads.latest_qualification(stored.id)
        return known or self.qualify(stored)

    def qualify_many(self, leads: Sequence[StoredLead]) -> list[Qualification]:
        """Each lead's latest qualification; the leads without one are qualified together
        (a model qualifier runs them concurrently) and stored in one unit of work."""
        with self.uow as tx:
            known = tx.leads.latest_qualifications([stored.id for stored in leads])
        new = [stored for stored in leads if stored.id not in known]
        if new:
            results = self.qualifier.qualify_many([s.lead for s in new], self.rubrics.get())
            with self.uow as tx:
                save_qualifications(tx.leads, list(zip(new, results, strict=True)))
            known |= {stored.id: q for stored, q in zip(new, results, strict=True)}
        return [known[stored.id] for stored in leads]


def with_answers(extraction: Extraction, answers: list[LeadEvent]) -> Extraction:
    """The thread's answers over what the lead's text says: per criterion the latest answer
    wins ("Correction: budget is only 5k"); a knockout stated in an answer counts."""
    merged = dict(extraction.answers)
    knockouts = list(extraction.knockouts)
    for event in answers:
        for criterion_id, answer in (event.data.get("answers") or {}).items():
            merged[criterion_id] = Answer.model_validate(answer)
        found = {hit.id for hit in knockouts}
        knockouts += [
            hit
            for hit in map(KnockoutHit.model_validate, event.data.get("knockouts") or [])
            if hit.id not in found
        ]
    questions = {cid: q for cid, q in extraction.questions.items() if cid not in merged}
    return extraction.model_copy(
        update={"answers": merged, "knockouts": knockouts, "questions": questions}
    )


def save_qualification(
    leads: LeadRepository, stored: StoredLead, qualification: Qualification
) -> None:
    save_qualifications(leads, [(stored, qualification)])


def save_qualifications(
    leads: LeadRepository, results: Sequence[tuple[StoredLead, Qualification]]
) -> None:
    """Each qualification's row; a lead still `received` moves on (qualified or knocked out)."""
    leads.add_qualifications([(stored.id, qualification) for stored, qualification in results])
    leads.move_received(
        [
            (stored.id, status_after_qualification(q), {"knockout": q.knockout})
            for stored, q in results
        ]
    )
