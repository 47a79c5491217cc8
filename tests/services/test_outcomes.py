"""Won / Lost / No response: who may record one, what it changes, and CRM exports mapped
onto stored leads."""

from __future__ import annotations

from datetime import date

import pytest
from services.conftest import MANAGER

from bot.domain.lifecycle import EventKind, LeadStatus, Outcome
from bot.domain.permissions import Managers
from bot.domain.work import NotifyThread, RefreshSummary, SendEphemeral
from bot.intake.outcomes_csv import OutcomeColumns, read_outcomes
from bot.services.outcomes import OutcomesService
from qualifiers.models import Lead


@pytest.fixture
def outcomes(uow) -> OutcomesService:
    return OutcomesService(uow, Managers([MANAGER]))


@pytest.fixture
def lead_id(uow) -> int:
    with uow as tx:
        stored, _ = tx.leads.add_lead(
            Lead(text="Dana at dana@globex.example wants a demo", fields={"company": "Globex"})
        )
        tx.leads.mark_posted(stored.id, "CSALES", "1.0")
    return stored.id


def status(uow, lead_id) -> LeadStatus:
    with uow as tx:
        return tx.leads.get_lead(lead_id).status


def test_only_a_claimed_lead_gets_an_outcome_from_its_claimer_or_a_manager(
    claims, outcomes, uow, lead_id
):
    assert not outcomes.record(lead_id, "UREP1", Outcome.WON, "CSALES")
    claims.claim(lead_id, "UREP1", "CSALES")
    assert not outcomes.record(lead_id, "UREP2", Outcome.WON, "CSALES")
    assert [m.text for m in uow.queued(SendEphemeral)][-2:] == [
        "Only a claimed lead has an outcome: claim it first.",
        "Only <@UREP1> (who claimed it) or a manager can record its outcome.",
    ]
    assert status(uow, lead_id) == LeadStatus.CLAIMED

    assert outcomes.record(lead_id, "UREP1", Outcome.WON, "CSALES")
    assert not outcomes.record(lead_id, "UREP1", Outcome.WON, "CSALES")  # a double click
    assert outcomes.record(lead_id, MANAGER, Outcome.NO_RESPONSE, "CSALES")

    with uow as tx:
        stored = tx.leads.get_lead(lead_id)
        events = tx.leads.events(lead_id, EventKind.OUTCOME)
    assert (stored.status, stored.claimed_by) == (LeadStatus.NO_RESPONSE, "UREP1")
    assert [(e.actor, e.data["outcome"]) for e in events] == [
        ("UREP1", "won"),
        (MANAGER, "no_response"),
    ]
    assert uow.queued(RefreshSummary)[-1] == RefreshSummary(lead_id=lead_id)
    assert uow.queued(NotifyThread)[-1].text == ("🔇 <@UMGR> recorded the outcome: No response.")


def test_a_lead_with_an_outcome_is_not_released(claims, outcomes, uow, lead_id):
    claims.claim(lead_id, "UREP1", "CSALES")
    outcomes.record(lead_id, "UREP1", Outcome.LOST, "CSALES")
    assert not claims.release(lead_id, "UREP1", "CSALES")
    assert status(uow, lead_id) == LeadStatus.LOST


def test_an_export_is_mapped_by_email_or_id_and_bad_rows_say_where(
    tmp_path, claims, outcomes, uow, lead_id
):
    with uow as tx:
        crm, _ = tx.leads.add_lead(Lead(id="HS-42", text="from the form"))
    claims.claim(lead_id, "UREP1", "CSALES")
    export = tmp_path / "deals.csv"
    export.write_text(
        "Contact Email,Record ID,Deal Stage,Closed\n"
        "DANA@globex.example,,Closed Won,2026-01-20\n"
        ",HS-42,lost,\n"
        "nobody@example.com,,won,\n"
        "x@example.com,,maybe,\n"
        ",HS-42,won,20/01/2026\n"
    )
    data = read_outcomes(
        str(export),
        OutcomeColumns(
            email="contact email", lead_id="Record ID", outcome="Deal Stage", date="Closed"
        ),
    )
    assert data.errors == [
        f"{export}:5: Deal Stage: expected won, lost or no_response, got 'maybe'",
        f"{export}:6: Closed: expected a date as YYYY-MM-DD, got '20/01/2026'",
    ]

    result = outcomes.import_records(data.records)

    assert (result.recorded, result.moved) == (2, 1)
    assert result.unmatched == [f"{export}:4: no stored lead 'nobody@example.com'"]
    with uow as tx:
        assert tx.leads.latest_outcome(lead_id).occurred_on == date(2026, 1, 20)
        assert tx.leads.latest_outcome(crm.id).outcome == Outcome.LOST
        assert tx.leads.get_lead(lead_id).status == LeadStatus.WON
        assert tx.leads.get_lead(crm.id).status == LeadStatus.RECEIVED  # never claimed


def test_an_export_without_a_lead_column_is_refused(tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("name,outcome\nDana,won\n")
    from bot.errors import UserError

    with pytest.raises(UserError, match="no column naming the lead; expected 'email' or 'lead_id'"):
        read_outcomes(str(export))
