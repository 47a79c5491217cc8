"""When a lead arrived reaches the qualifier from every door: `--as-of` for a whole file, a
CSV/JSONL date column, a Slack message's ts, a webhook's receipt, the store's receipt time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes.store_probe import StoreProbe

from bot.intake.files import parse_leads
from bot.intake.slack_messages import slack_time
from bot.intake.webhook import WebhookLead
from qualifiers.models import Lead

QUALIFY_JSON = ("qualify", "--no-store", "--format", "json")
CALENDAR_LEAD = "I'm the CFO at Globex (300 staff). We need to sign by end of February."


def timeline_of(stdout: str) -> list[int | None]:
    records = [json.loads(line) for line in stdout.splitlines()]
    return [
        next(c["value"] for c in record["criteria"] if c["id"] == "timeline") for record in records
    ]


def test_as_of_dates_every_lead_of_a_file(leadbot, tmp_path: Path):
    leads = tmp_path / "leads.txt"
    leads.write_text(CALENDAR_LEAD + "\n", encoding="utf-8")
    november = leadbot(
        "qualify", "--no-store", "--format", "json", "--as-of", "2026-11-20", str(leads)
    )
    january = leadbot(
        "qualify", "--no-store", "--format", "json", "--as-of", "2027-01-20", str(leads)
    )
    assert november.returncode == january.returncode == 0, november.stderr + january.stderr
    assert timeline_of(november.stdout) == [4]
    assert timeline_of(january.stdout) == [2]


def test_a_csv_date_column_wins_over_as_of(leadbot, tmp_path: Path):
    leads = tmp_path / "leads.csv"
    leads.write_text(
        f'id,received_at,text\na,2026-11-20,"{CALENDAR_LEAD}"\nb,,"{CALENDAR_LEAD}"\n',
        encoding="utf-8",
    )
    result = leadbot(
        "qualify", "--no-store", "--format", "json", "--as-of", "2027-01-20", str(leads)
    )
    assert result.returncode == 0, result.stderr
    assert timeline_of(result.stdout) == [4, 2]


def test_a_bad_as_of_is_a_clear_error(leadbot, tmp_path: Path):
    leads = tmp_path / "leads.txt"
    leads.write_text(CALENDAR_LEAD, encoding="utf-8")
    result = leadbot("qualify", "--no-store", "--as-of", "20/11/2026", str(leads))
    assert result.returncode == 2
    assert "--as-of" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_jsonl_received_at_must_be_a_date_and_other_date_columns_date_leads():
    data = (
        json.dumps({"id": "a", "text": "x", "received_at": "soon"})
        + "\n"
        + json.dumps({"id": "b", "text": "y", "Date": "14.03.2026"})
        + "\n"
    ).encode()
    bad, good = parse_leads(data, "leads.jsonl")
    assert bad.lead is None and "received_at: expected a date such as 2026-03-14" in bad.error
    assert bad.error.startswith("leads.jsonl:1")
    assert good.lead.received_at == datetime(2026, 3, 14, tzinfo=UTC)


def test_a_slack_ts_is_when_the_message_was_posted():
    assert slack_time("1767225600.000100") == datetime(2026, 1, 1, 0, 0, 0, 100, tzinfo=UTC)
    assert slack_time("not-a-ts") is None


def test_a_webhook_lead_carries_its_receipt_time():
    moment = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    lead = WebhookLead(text="Need approvals by Q3").lead(received_at=moment)
    assert lead.received_at == moment


def test_a_stored_lead_keeps_when_it_arrived(tmp_path: Path):
    repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'leadbot.db'}")
    before = datetime.now(UTC) - timedelta(seconds=5)
    stored, _ = repository.add_lead(Lead(text="hello"))
    arrived = repository.get_lead(stored.id).lead.received_at
    assert arrived is not None and before <= arrived <= datetime.now(UTC) + timedelta(seconds=5)
    dated, _ = repository.add_lead(Lead(text="dated", fields={"Created": "2026-03-14"}))
    assert repository.get_lead(dated.id).lead.received_at == datetime(2026, 3, 14, tzinfo=UTC)
