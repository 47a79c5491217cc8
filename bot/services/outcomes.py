"""How claimed leads ended: Won / Lost / No response from the summary's buttons, or a CRM
export mapped onto stored leads. Each is an outcome row and an event; a claimed lead moves
to the outcome's status and its summary is updated by the worker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.lifecycle import Outcome
from bot.domain.permissions import Managers, outcome_refusal
from bot.errors import UserError
from bot.intake.labelled import LabelledLeads
from bot.intake.outcomes_csv import OutcomeRecord
from bot.render import summary as render
from bot.services.notices import changed, tell
from bot.store.database import Database
from bot.store.repository import StoredLead
from bot.store.unit_of_work import UnitOfWork

ORIGIN_SLACK = "slack"
ORIGIN_IMPORT = "import"
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class ImportResult:
    recorded: int = 0
    moved: int = 0  # claimed leads whose status (and summary) changed
    unmatched: list[str] = field(default_factory=list)  # FILE:LINE: why


class OutcomesService:
    def __init__(self, uow: UnitOfWork, managers: Managers):
        self.uow = uow
        self.managers = managers

    def record(self, lead_id: int, user: str, outcome: Outcome, channel: str) -> bool:
        """A button on the summary: only the claimer or a manager; others are told why."""
        with self.uow as tx:
            stored = tx.leads.get_lead(lead_id)
            refusal = outcome_refusal(
                stored.status if stored else None,
                stored.claimed_by if stored else None,
                user,
                manager=user in self.managers,
            )
            current = tx.leads.latest_outcome(lead_id) if refusal is None else None
            if current is not None and current.outcome == outcome:
                return False  # a double click, or the same outcome again
            if refusal:
                tell(tx, channel, user, refusal)
                return False
            tx.leads.record_outcome(lead_id, outcome, user, origin=ORIGIN_SLACK)
            changed(tx, lead_id, render.outcome_reply_text(user, outcome))
            return True

    def import_records(self, records: list[OutcomeRecord]) -> ImportResult:
        """Map a CRM export's rows onto stored leads (by the lead's id or CRM id, or by an
        email in its fields or text), all in one unit of work."""
        result = ImportResult()
        with self.uow as tx:
            by_ref, by_email = _lead_index(tx.leads.all_leads())
            for record in records:
                lead_id = by_ref.get(record.lead_ref) if record.lead_ref else None
                if lead_id is None and record.email:
                    lead_id = by_email.get(record.email)
                if lead_id is None:
                    named = record.lead_ref or record.email
                    result.unmatched.append(f"{record.location}: no stored lead {named!r}")
                    continue
                moved = tx.leads.record_outcome(
                    lead_id,
                    record.outcome,
                    None,
                    origin=ORIGIN_IMPORT,
                    occurred_on=record.occurred_on,
                )
                result.recorded += 1
                if moved:
                    result.moved += 1
                    changed(tx, lead_id, None)
        return result


def stored_labelled_leads(database: Database) -> LabelledLeads:
    """The team's own history for `backtest --stored` and `rubric suggest --stored`: every
    stored lead with a recorded outcome, converted when it was won."""
    with UnitOfWork(database) as tx:
        outcomes = tx.leads.latest_outcomes()
        leads = [stored for stored in tx.leads.all_leads() if stored.id in outcomes]
    data = LabelledLeads(
        leads=[stored.lead for stored in leads],
        labels=[outcomes[stored.id].outcome == Outcome.WON for stored in leads],
        skipped=[],
        values={outcomes[stored.id].outcome.value for stored in leads},
    )
    if not data.leads:
        raise UserError(
            "--stored: no stored lead has an outcome yet; record Won / Lost / No response on "
            "claimed leads in Slack, or `leadbot outcomes import FILE.csv`"
        )
    if all(data.labels) or not any(data.labels):
        raise UserError(
            f"--stored: {len(data.leads):,} leads have an outcome, all of them "
            f"{'won' if all(data.labels) else 'not won'}; a back-test needs both"
        )
    return data


def _lead_index(leads: list[StoredLead]) -> tuple[dict[str, int], dict[str, int]]:
    """Leads by their ids (stored and CRM) and by every email they carry; the newest lead
    wins an email two leads share."""
    by_ref: dict[str, int] = {}
    by_email: dict[str, int] = {}
    for stored in leads:
        by_ref[stored.lead.id or str(stored.id)] = stored.id  # the CRM's id when it sent one
    for stored in leads:
        by_ref.setdefault(str(stored.id), stored.id)
        found = [v for k, v in stored.lead.fields.items() if "email" in k.lower()]
        for email in _EMAIL.findall(" ".join([*map(str, found), stored.lead.text])):
            by_email[email.lower()] = stored.id
    return by_ref, by_email
