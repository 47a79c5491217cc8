"""Bulk storage on SQLite and (when LEADBOT_TEST_POSTGRES_URL is set) PostgreSQL: a batch
stores exactly what one-at-a-time inserts store, dedupes inside the batch and against the
database, and a row the database refuses costs only that row."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from bot.domain.lifecycle import LeadStatus, status_after_qualification
from bot.intake.files import parse_leads
from bot.services.bulk import BATCH_SIZE, qualify_entries, store_qualifications
from bot.services.qualify import save_qualifications
from bot.store.tables import EventRow, LeadRow, QualificationRow
from bot.store.unit_of_work import UnitOfWork
from qualifiers.bulk import QualifiedLead
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier

LEADS = [
    Lead(id="a", text="CFO at Globex, budget $80k, 200 employees, need it this quarter"),
    Lead(text="Hi, I'm a student and my thesis is on sales automation."),
    Lead(id="c", text="Founder", fields={"Employees": "12", "Budget": "5k"}, submitted_by="U1"),
]


def stored_rows(database, prefix: str) -> list[tuple]:
    """Each lead under keys starting with `prefix`: its columns, events and qualifications,
    without the ids, keys and times that differ between any two inserts."""
    with database.session() as session:
        leads = session.scalars(
            select(LeadRow).where(LeadRow.dedupe_key.startswith(prefix)).order_by(LeadRow.id)
        ).all()
        rows = []
        for lead in leads:
            events = session.scalars(
                select(EventRow).where(EventRow.lead_id == lead.id).order_by(EventRow.id)
            )
            qualifications = session.scalars(
                select(QualificationRow).where(QualificationRow.lead_id == lead.id)
            )
            rows.append(
                (
                    (lead.external_id, lead.text, lead.fields, lead.source, lead.submitted_by),
                    (lead.intake_channel, lead.intake_ts, lead.status, lead.claimed_by),
                    sorted((e.kind, e.actor, json.dumps(e.data, sort_keys=True)) for e in events),
                    [
                        (q.rubric_name, q.rubric_version, q.qualifier, q.score, q.tier, q.result)
                        for q in qualifications
                    ],
                )
            )
        return rows


def test_a_batch_stores_exactly_what_single_inserts_store(repository, default_rubric):
    qualifier = Qualifier(OfflineExtractor())
    qualifications = [qualifier.qualify(lead, default_rubric) for lead in LEADS]
    uow = UnitOfWork(repository)
    with uow as tx:
        for number, (lead, qualification) in enumerate(zip(LEADS, qualifications, strict=True)):
            stored, _ = tx.leads.add_lead(lead, dedupe_key=f"one:{number}", intake_channel="C1")
            tx.leads.add_qualification(stored.id, qualification)
            status = status_after_qualification(qualification)
            tx.leads.set_status(stored.id, status, knockout=qualification.knockout)
    with uow as tx:
        keys = [f"many:{number}" for number in range(len(LEADS))]
        added = tx.leads.add_leads(LEADS, keys, intake_channel="C1")
    with uow as tx:
        save_qualifications(
            tx.leads, [(s, q) for (s, _), q in zip(added, qualifications, strict=True)]
        )
    single, batch = stored_rows(repository, "one:"), stored_rows(repository, "many:")
    assert len(single) == 3
    assert batch == single
    assert [stored.lead.id for stored, _ in added] == ["a", str(added[1][0].id), "c"]


def test_the_bulk_writer_stores_exactly_what_single_inserts_store(repository, default_rubric):
    """`leadbot qualify`'s path: leads, then qualifications as a worker process hands them
    back (serialised), against the repository's one-at-a-time methods."""
    qualifier = Qualifier(OfflineExtractor())
    qualifications = [qualifier.qualify(lead, default_rubric) for lead in LEADS]
    uow = UnitOfWork(repository)
    with uow as tx:
        for number, (lead, qualification) in enumerate(zip(LEADS, qualifications, strict=True)):
            stored, _ = tx.leads.add_lead(lead, dedupe_key=f"one:{number}", intake_channel="C1")
            tx.leads.add_qualification(stored.id, qualification)
            status = status_after_qualification(qualification)
            tx.leads.set_status(stored.id, status, knockout=qualification.knockout)
    with uow as tx:
        keys = [f"bulk:{number}" for number in range(len(LEADS))]
        added = tx.bulk.add_leads(LEADS, keys, intake_channel="C1")
    from_worker = [QualifiedLead(*QualifiedLead.of(q).row()) for q in qualifications]
    store_qualifications(uow, [(i, q) for (i, _), q in zip(added, from_worker, strict=True)])
    single, bulk = stored_rows(repository, "one:"), stored_rows(repository, "bulk:")
    assert len(single) == 3
    assert bulk == single
    with repository.session() as session:
        times = session.scalars(
            select(EventRow.created_at).where(EventRow.lead_id.in_([i for i, _ in added]))
        ).all()
    assert all(moment is not None for moment in times) and len(times) == 9


def test_the_bulk_writer_dedupes_inside_a_batch_and_against_the_database(repository):
    earlier, _ = repository.add_lead(LEADS[2])
    batch = [LEADS[0], LEADS[2], LEADS[0].model_copy(), LEADS[1], LEADS[2]]
    with UnitOfWork(repository) as tx:
        added = tx.bulk.add_leads(batch)
    assert [created for _, created in added] == [True, False, False, True, False]
    ids = [lead_id for lead_id, _ in added]
    assert ids[1] == ids[4] == earlier.id
    assert ids[0] == ids[2] != ids[3]
    with UnitOfWork(repository) as tx:
        again = tx.bulk.add_leads(batch)
    assert again == [(lead_id, False) for lead_id in ids]
    with repository.session() as session:
        assert len(session.scalars(select(LeadRow)).all()) == 3
        received = session.scalars(select(EventRow).where(EventRow.kind == "received")).all()
    assert sorted(event.lead_id for event in received) == sorted({*ids})


class BadTierQualifier(Qualifier):
    """Offline, except that lead r23's qualification cannot be stored (a lone surrogate)."""

    def qualify(self, lead, rubric):
        qualification = super().qualify(lead, rubric)
        if lead.id == "r23":
            return qualification.model_copy(update={"tier": "hot\ud800"})
        return qualification


def test_a_qualification_the_database_refuses_costs_only_that_row(repository, default_rubric):
    """The leads are stored; one qualification of the batch is refused: that row gets an
    error, its lead stays `received`, and the rest of the batch is stored as usual."""
    lines = [json.dumps({"id": f"r{n}", "text": f"CFO, team of {n + 5}"}) for n in range(40)]
    entries = parse_leads("\n".join(lines).encode(), "leads.jsonl")
    uow = UnitOfWork(repository)
    outcomes = qualify_entries(entries, default_rubric, BadTierQualifier(OfflineExtractor()), uow)
    assert [o.entry.id for o in outcomes] == [f"r{n}" for n in range(40)]
    refused = [o for o in outcomes if o.qualified is None]
    assert [o.entry.id for o in refused] == ["r23"]
    assert refused[0].entry.error.startswith("leads.jsonl:24: the database refused this lead")
    with repository.session() as session:
        leads = {row.external_id: row for row in session.scalars(select(LeadRow))}
        assert len(leads) == 40
        assert leads["r23"].status == LeadStatus.RECEIVED
        assert {row.status for key, row in leads.items() if key != "r23"} == {"qualified"}
        lead_ids = session.scalars(select(QualificationRow.lead_id)).all()
        moves = session.scalars(select(EventRow.lead_id).where(EventRow.kind == "qualified"))
        moves = list(moves)
    assert sorted(lead_ids) == sorted(row.id for key, row in leads.items() if key != "r23")
    assert sorted(moves) == sorted(lead_ids * 2)  # the qualification's event and the move's
    stored = {o.entry.id: o.stored_id for o in outcomes}
    assert stored["r5"] == leads["r5"].id


def test_a_batch_dedupes_inside_itself_and_against_the_database(repository):
    earlier, _ = repository.add_lead(LEADS[2])
    batch = [LEADS[0], LEADS[2], LEADS[0].model_copy(), LEADS[1]]
    with UnitOfWork(repository) as tx:
        added = tx.leads.add_leads(batch)
    assert [created for _, created in added] == [True, False, False, True]
    ids = [stored.id for stored, _ in added]
    assert ids[1] == earlier.id
    assert ids[0] == ids[2] != ids[3]
    with repository.session() as session:
        assert len(session.scalars(select(LeadRow)).all()) == 3
        received = session.scalars(select(EventRow).where(EventRow.kind == "received")).all()
    assert sorted(event.lead_id for event in received) == sorted({*ids})


def test_every_run_adds_a_qualification_and_a_lead_moves_on_once(repository, default_rubric):
    entries = parse_leads(b"CFO, budget $90k\n---\nCFO, budget $90k\n---\nmy thesis", "x.txt")
    qualifier = Qualifier(OfflineExtractor())
    uow = UnitOfWork(repository)
    for _ in range(2):
        outcomes = qualify_entries(entries, default_rubric, qualifier, uow)
    # The first two rows have the same content: one lead, qualified once per row and run.
    assert outcomes[0].stored_id == outcomes[1].stored_id != outcomes[2].stored_id
    assert repository.count_qualifications(outcomes[0].stored_id) == 4
    assert repository.count_qualifications(outcomes[2].stored_id) == 2
    assert repository.get_lead(outcomes[0].stored_id).status == LeadStatus.QUALIFIED
    assert repository.get_lead(outcomes[2].stored_id).status == LeadStatus.DISQUALIFIED
    with repository.session() as session:
        events = session.scalars(select(EventRow)).all()
    moves = [event.lead_id for event in events if "knockout" in event.data]
    assert sorted(moves) == sorted([outcomes[0].stored_id, outcomes[2].stored_id])


def test_a_row_the_database_refuses_costs_only_that_row(repository, default_rubric):
    """A lone surrogate cannot be encoded for any database; its batch is split until the
    row is alone, and every other row of the batch is stored and qualified."""
    lines = [json.dumps({"id": f"r{n}", "text": f"CEO, team of {n + 5}"}) for n in range(40)]
    lines[17] = '{"id": "r17", "text": "bad \\ud800 text"}'
    entries = parse_leads("\n".join(lines).encode(), "leads.jsonl")
    outcomes = qualify_entries(
        entries, default_rubric, Qualifier(OfflineExtractor()), UnitOfWork(repository)
    )
    refused = [outcome for outcome in outcomes if outcome.qualification is None]
    assert [outcome.entry.id for outcome in refused] == ["r17"]
    assert refused[0].entry.error.startswith("leads.jsonl:18: the database refused this lead")
    assert [o.entry.id for o in outcomes] == [f"r{n}" for n in range(40)]
    with repository.session() as session:
        assert len(session.scalars(select(LeadRow)).all()) == 39
        assert len(session.scalars(select(QualificationRow)).all()) == 39


class PidQualifier(Qualifier):
    """Offline, with the process that qualified each lead in its note."""

    def qualify(self, lead, rubric):
        return super().qualify(lead, rubric).model_copy(update={"note": str(os.getpid())})


# Run in a fresh interpreter: forking is refused while other threads run, and earlier tests
# in this session may have left some (servers shutting down).
WORKERS_SCRIPT = """
import json, os
from qualifiers.bulk import OrderedQualifier
from qualifiers.bulk import QualifiedLead
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import load_rubric

class PidQualifier(Qualifier):
    def qualify(self, lead, rubric):
        return super().qualify(lead, rubric).model_copy(update={"note": str(os.getpid())})

rubric = load_rubric()
leads = [Lead(id=str(n), text=f"We are a team of {n + 1} people") for n in range(1200)]
chunks = [leads[start : start + 400] for start in range(0, len(leads), 400)]
qualifier = PidQualifier(OfflineExtractor())
with OrderedQualifier(qualifier, rubric, processes=2, leads=leads) as runner:
    # Chunks sent whole, and chunks the workers read from the leads they inherited.
    pending = [runner.submit(chunks[0])]
    pending += [runner.submit_at(range(start, start + 400)) for start in (400, 800)]
    rows = [row for part in pending for row in part.result()]
results = [row.qualification for row in rows]
alone = Qualifier(OfflineExtractor()).qualify_many(leads, rubric)
print(json.dumps({
    "ids": [q.id for q in results],
    "same_answers": [q.criteria for q in results] == [q.criteria for q in alone],
    "same_record": [row.result_json for row in rows] == [q.model_dump_json() for q in results],
    "same_line": [json.loads(row.public_json) for row in rows]
        == [json.loads(json.dumps(q.public_dict())) for q in results],
    "workers": sorted({q.note for q in results}),
    "parent": str(os.getpid()),
}))
"""


def test_worker_processes_keep_input_order():
    run = subprocess.run(
        [sys.executable, "-c", WORKERS_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["ids"] == [str(n) for n in range(1200)]
    assert result["same_answers"] and result["same_record"] and result["same_line"]
    assert len(result["workers"]) == 2 and result["parent"] not in result["workers"]


def test_a_small_input_stays_in_this_process(default_rubric):
    entries = parse_leads(b"CFO\n---\nCEO", "x.txt")
    outcomes = qualify_entries(entries, default_rubric, PidQualifier(OfflineExtractor()), workers=4)
    assert {o.qualification.note for o in outcomes} == {str(os.getpid())}
    assert len(entries) < BATCH_SIZE * 2


def test_latest_qualifications_of_a_batch_in_one_lookup(repository, default_rubric):
    qualifier = Qualifier(OfflineExtractor())
    first, _ = repository.add_lead(LEADS[0])
    second, _ = repository.add_lead(LEADS[1])
    never, _ = repository.add_lead(LEADS[2])
    older = qualifier.qualify(LEADS[0], default_rubric)
    newer = older.model_copy(update={"score": 1, "tier": "cold"})
    repository.add_qualifications([(first.id, older), (second.id, older), (first.id, newer)])
    latest = repository.latest_qualifications([first.id, second.id, never.id])
    assert latest == {first.id: newer, second.id: older}
