"""Bulk storage on SQLite and (when LEADBOT_TEST_POSTGRES_URL is set) PostgreSQL: a batch
stores exactly what one-at-a-time inserts store (a bulk run's qualified batch: what they
leave, in one event a lead), dedupes inside the batch and against the database, and a row
the database refuses costs only that row."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from bot.domain.lifecycle import EventKind, LeadStatus, status_after_qualification
from bot.intake.files import parse_leads
from bot.services.bulk import BATCH_SIZE, qualify_entries
from bot.services.qualify import save_qualifications
from bot.store.repository import content_dedupe_key
from bot.store.tables import EventRow, LeadRow, QualificationRow, WorkItemRow
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


def test_a_bulk_stored_lead_is_what_a_single_insert_qualified_and_moved_leaves(
    repository, default_rubric
):
    """`leadbot qualify`'s path, qualifications as a worker process hands them back
    (serialised): each new lead written once, in its final status, with one event that
    carries what the single path's qualification and move events carry."""
    qualifier = Qualifier(OfflineExtractor())
    qualifications = [qualifier.qualify(lead, default_rubric) for lead in LEADS]
    uow = UnitOfWork(repository)
    with uow as tx:
        for number, (lead, qualification) in enumerate(zip(LEADS, qualifications, strict=True)):
            stored, _ = tx.leads.add_lead(lead, dedupe_key=f"one:{number}")
            save_qualifications(tx.leads, [(stored, qualification)])
        single_moves = list(tx.leads.transitions)
    from_worker = [QualifiedLead(*QualifiedLead.of(q).row()) for q in qualifications]
    with uow as tx:
        ids = tx.bulk.add_qualified_leads(LEADS, from_worker)
        bulk_moves = list(tx.leads.transitions)
    single, bulk = stored_rows(repository, "one:"), stored_rows(repository, "content:")
    assert len(single) == len(bulk) == 3
    for one, many in zip(single, bulk, strict=True):
        assert many[0] == one[0] and many[1] == one[1] and many[3] == one[3]  # lead, rows
        qualified = [event for event in one[2] if event[0] != "received"]
        assert len(qualified) == len(one[2]) - 1 == 2
        merged = {}
        for _, _, data in qualified:
            merged |= json.loads(data)
        (only,) = many[2]
        move = next(kind for kind, _, data in qualified if "knockout" in json.loads(data))
        assert only == (move, None, json.dumps(merged, sort_keys=True))
    assert [lead.status for lead in map(repository.get_lead, ids)] == [
        "qualified",
        "disqualified",
        "qualified",
    ]
    assert [(t.event, t.actor, t.data) for t in bulk_moves] == [
        (t.event, t.actor, t.data) for t in single_moves
    ]


def test_bulk_storage_dedupes_inside_a_batch_and_against_the_database(repository, default_rubric):
    """A lead already stored is re-qualified, not stored again (one still `received` moves
    on once); a lead repeated in the batch is one lead; a rerun stores no lead."""
    qualifier = Qualifier(OfflineExtractor())
    earlier, _ = repository.add_lead(LEADS[2])
    batch = [LEADS[0], LEADS[2], LEADS[0].model_copy(), LEADS[1], LEADS[2]]
    qualified = [QualifiedLead.of(qualifier.qualify(lead, default_rubric)) for lead in batch]
    with UnitOfWork(repository) as tx:
        ids = tx.bulk.add_qualified_leads(batch, qualified)
    assert ids[1] == ids[4] == earlier.id
    assert ids[0] == ids[2] != ids[3]
    with UnitOfWork(repository) as tx:
        again = tx.bulk.add_qualified_leads(batch, qualified)
    assert again == ids
    with repository.session() as session:
        assert len(session.scalars(select(LeadRow)).all()) == 3
        events = session.scalars(select(EventRow).order_by(EventRow.id)).all()
    assert repository.get_lead(earlier.id).status == LeadStatus.QUALIFIED
    assert [lead_id for lead_id in map(repository.count_qualifications, ids)] == [4, 4, 4, 2, 4]
    per_lead = {
        lead_id: [(e.kind, sorted(e.data)) for e in events if e.lead_id == lead_id]
        for lead_id in dict.fromkeys(ids)
    }
    rerun = [("qualified", ["score", "tier"])]
    assert per_lead == {
        ids[0]: [("qualified", ["knockout", "score", "tier"])] + rerun * 3,
        earlier.id: [("received", ["source"])]
        + rerun * 2
        + [("qualified", ["knockout"])]
        + rerun * 2,
        ids[3]: [("disqualified", ["knockout", "score", "tier"]), *rerun],
    }


def test_a_bulk_knockout_reads_as_the_rubrics_and_can_be_lifted(repository, default_rubric):
    """What reads the events keeps its meaning: a knocked-out bulk lead's disqualification
    is the rubric's (no actor), so its submitter may say "Not a knockout"; posting it after
    that is keyed apart from anything queued before."""
    from bot.domain.permissions import override_refusal
    from bot.services.notices import post_now

    lead = LEADS[1].model_copy(update={"submitted_by": "U1"})
    qualification = Qualifier(OfflineExtractor()).qualify(lead, default_rubric)
    uow = UnitOfWork(repository)
    with uow as tx:
        (lead_id,) = tx.bulk.add_qualified_leads([lead], [QualifiedLead.of(qualification)])
    with uow as tx:
        stored = tx.leads.get_lead(lead_id)
        knockout = tx.leads.latest_event(lead_id, EventKind.DISQUALIFIED)
        assert knockout is not None and knockout.actor is None
        refusal = override_refusal(
            stored.status, knockout.actor is None, "U1", submitted_by="U1", manager=False
        )
        assert refusal is None
        post_now(tx, lead_id)
        tx.leads.add_qualification(lead_id, qualification)
        tx.leads.set_status(lead_id, LeadStatus.QUALIFIED, "U1", override=True)
        post_now(tx, lead_id)
    with repository.session() as session:
        keys = session.scalars(select(WorkItemRow.dedupe_key)).all()
    assert sorted(keys) == [f"process:{lead_id}:0:0", f"process:{lead_id}:2:0"]


class BadTierQualifier(Qualifier):
    """Offline, except that lead r23's qualification cannot be stored (a lone surrogate)."""

    def qualify(self, lead, rubric):
        qualification = super().qualify(lead, rubric)
        if lead.id == "r23":
            return qualification.model_copy(update={"tier": "hot\ud800"})
        return qualification


def test_a_qualification_the_database_refuses_costs_only_that_row(repository, default_rubric):
    """One qualification of the batch is refused: that row gets an error, neither it nor
    its lead is stored (a rerun stores both), and the rest of the batch is stored as usual."""
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
        assert len(leads) == 39 and "r23" not in leads
        assert {row.status for row in leads.values()} == {"qualified"}
        lead_ids = session.scalars(select(QualificationRow.lead_id)).all()
        events = session.scalars(select(EventRow.lead_id).where(EventRow.kind == "qualified"))
        events = list(events)
    assert sorted(lead_ids) == sorted(row.id for row in leads.values())
    assert sorted(events) == sorted(lead_ids)  # one event a lead: stored already qualified
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


def test_content_dedupe_keys_stay_what_stored_leads_were_keyed_by():
    """A stored lead is found again by its key: the key of the same content never changes
    (these are the keys leadbot has always given), with fields or without."""
    fields = {"email": "a@b.co", "company": "Acme", "size": "40"}
    assert [
        content_dedupe_key(Lead(text="CFO at Acme, budget $80k", source="csv")),
        content_dedupe_key(Lead(text="Ops lead", source="slack", fields=fields)),
        content_dedupe_key(Lead(text="", source="api", fields={})),
    ] == [
        "content:e4c9f10ed5c92483b3171ddf9ca88250aabd493f",
        "content:d72c7c48d9d4eaf7cedb4e9196dc7fd6de5bfa65",
        "content:a44b97bed7d173bc4d45446ca95abc2996cdbed4",
    ]


def test_a_batch_of_any_size_stores_every_row_and_returns_every_new_id(repository):
    """A batch is written in multi-row statements of a few sizes: a size that is no sum of
    whole pages (and repeats the first 23 leads) still stores each lead once, with its
    event and its NULL columns, and returns each row's id."""
    leads = [Lead(text=f"lead {n}", submitted_by=None if n % 2 else f"U{n}") for n in range(1000)]
    batch = leads[:977] + leads[:23]
    qualified = [
        QualifiedLead(n % 90, "cold", None, "default", "v1", "offline", (None, 0, 0, 0, 0.0), "{}")
        for n in range(len(batch))
    ]
    uow = UnitOfWork(repository)
    with uow as tx:
        ids = tx.bulk.add_qualified_leads(batch, qualified)
    assert len(set(ids)) == 977 and ids[977:] == ids[:23]
    with repository.session() as session:
        rows = session.execute(
            select(LeadRow.id, LeadRow.text, LeadRow.submitted_by, LeadRow.intake_channel)
        ).all()
        events = session.execute(select(EventRow.lead_id, EventRow.kind, EventRow.actor)).all()
    assert sorted(rows) == sorted(
        (i, lead.text, lead.submitted_by, None)
        for i, lead in zip(ids[:977], leads[:977], strict=True)
    )
    assert sorted(events) == sorted(
        [(i, "qualified", None) for i in ids[:977]] + [(i, "qualified", None) for i in ids[:23]]
    )
