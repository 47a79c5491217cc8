"""Qualify stored leads: the model or the offline rules extract, the rubric scores, and the
result is stored as a new qualification row (a new lead also moves out of `received`).

The qualifier runs outside any transaction (a model call can take seconds); storing its
result is one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.lifecycle import status_after_qualification
from bot.services.rubric_holder import RubricHolder
from bot.store.repository import LeadRepository, StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Qualification
from qualifiers.qualifier import Qualifier


class QualifyService:
    def __init__(self, uow: UnitOfWork, qualifier: Qualifier, rubrics: RubricHolder):
        self.uow = uow
        self.qualifier = qualifier
        self.rubrics = rubrics

    def qualify(self, stored: StoredLead) -> Qualification:
        """A fresh qualification under the rubric in force, stored."""
        qualification = self.qualifier.qualify(stored.lead, self.rubrics.get())
        with self.uow as tx:
            save_qualification(tx.leads, stored, qualification)
        return qualification

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
