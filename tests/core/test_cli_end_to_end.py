"""The `leadbot` command as a user runs it: a subprocess, real files, real SQLite."""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import version
from pathlib import Path

from fakes.store_probe import StoreProbe

from qualifiers.rubric import DEFAULT_RUBRIC_PATH, load_rubric

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

QUALIFICATION_KEYS = {
    "id",
    "score",
    "tier",
    "knockout",
    "missing",
    "criteria",
    "rubric",
    "qualifier",
}
CRITERION_KEYS = {"id", "value", "points", "max_points", "evidence", "confidence"}
TIERS = {"hot", "warm", "cold", "disqualified"}


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_clean_failure(result, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


def test_qualify_txt_prints_one_json_line_per_lead_in_input_order(leadbot):
    result = leadbot("qualify", "--no-store", "--format", "json", str(EXAMPLES / "leads.txt"))
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == 8
    assert records[0]["id"] == f"{EXAMPLES / 'leads.txt'}:1"
    for record in records:
        assert set(record) == QUALIFICATION_KEYS
        assert record["tier"] in TIERS
        assert 0 <= record["score"] <= 100
        assert [c["id"] for c in record["criteria"]] == [
            "budget",
            "authority",
            "need",
            "timeline",
            "company_size",
        ]
        assert all(set(c) == CRITERION_KEYS for c in record["criteria"])
        assert record["rubric"]["name"] == "default"
        assert record["qualifier"] == "offline"
        assert record["score"] == round(sum(c["points"] for c in record["criteria"]))


def test_jsonl_and_csv_files_keep_their_ids_and_order(leadbot):
    result = leadbot(
        "qualify",
        "--no-store",
        "--format",
        "json",
        str(EXAMPLES / "leads.jsonl"),
        str(EXAMPLES / "leads.csv"),
    )
    assert result.returncode == 0, result.stderr
    assert [r["id"] for r in json_lines(result.stdout)] == [
        "web-1041",
        "web-1042",
        "web-1043",
        "web-1044",
        "web-1045",
        "csv-1",
        "csv-2",
        "csv-3",
        "csv-4",
    ]


def test_stdin_is_sniffed(leadbot):
    csv_text = b"Name;Title;Notes;\nDana;CFO;We need AP automation;\n"
    result = leadbot("qualify", "--no-store", "--format", "json", "-", stdin=csv_text)
    assert result.returncode == 0, result.stderr
    (record,) = json_lines(result.stdout)
    assert record["id"] == "stdin:2"


def test_blocks_output_is_the_slack_message_with_a_claim_button(leadbot):
    result = leadbot("qualify", "--no-store", "--format", "blocks", str(EXAMPLES / "leads.csv"))
    assert result.returncode == 0, result.stderr
    messages = json_lines(result.stdout)
    assert [m["id"] for m in messages] == ["csv-1", "csv-2", "csv-3", "csv-4"]
    for message in messages:
        assert message["text"]
        assert message["blocks"][0]["type"] == "header"
        actions = [b for b in message["blocks"] if b["type"] == "actions"]
        assert actions[0]["elements"][0]["action_id"] == "lead_claim"


def test_bad_rows_get_errors_in_order_and_the_rest_still_run(leadbot, tmp_path: Path):
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "a", "text": "CFO"}\n{"id": "b", "text": 7}\nnot json\n{"id": "c"}\n')
    leads_b = tmp_path / "more.txt"
    leads_b.write_text("one more lead\n")
    result = leadbot("qualify", "--no-store", "--format", "json", str(leads), str(leads_b))
    assert_clean_failure(result, 1)
    records = json_lines(result.stdout)
    assert [r["id"] for r in records] == ["a", "b", f"{leads}:3", "c", f"{leads_b}:1"]
    assert "score" in records[0] and "score" in records[4]
    assert records[1] == {"id": "b", "error": f"{leads}:2: text: expected a string, got a number"}
    assert records[2]["error"].startswith(f"{leads}:3: expected one JSON object per line")
    assert f"leadbot: {leads}:2: text: expected a string, got a number" in result.stderr
    assert "leadbot: 3 of 5 rows failed" in result.stderr


def test_an_empty_file_and_binary_junk_are_clear_errors(leadbot, tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    result = leadbot("qualify", "--no-store", str(empty))
    assert_clean_failure(result)
    assert f"leadbot: {empty}: the file is empty; expected at least one lead" in result.stderr

    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    result = leadbot("qualify", "--no-store", str(junk))
    assert_clean_failure(result)
    assert f"{junk}:1: expected UTF-8 text, found binary data" in result.stderr
    assert result.stdout == ""


def test_a_5_mb_lead_is_refused_quickly_and_the_next_lead_still_runs(leadbot, tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_text("We need a CRM. " * 340_000 + "\n---\nCFO at Globex, 300 employees\n")
    result = leadbot("qualify", "--no-store", "--format", "json", str(big), timeout=60)
    assert_clean_failure(result, 1)
    records = json_lines(result.stdout)
    assert "expected at most 1,000,000 bytes of text per lead, got 5,099,999" in records[0]["error"]
    assert records[1]["id"].endswith(":3")
    assert "score" in records[1]


def test_a_malformed_rubric_is_exit_2_with_file_and_line(leadbot, tmp_path: Path):
    rubric = tmp_path / "bad.yaml"
    rubric.write_text(
        "name: bad\ncriteria:\n  - id: budget\n    label: Budget\n    question: How much?\n"
        "    type: money\n    bands:\n      - {min: ten, points: 5}\n"
        "tiers: [{id: a, min_score: 0}]\n"
    )
    result = leadbot("qualify", "--no-store", "--rubric", str(rubric), str(EXAMPLES / "leads.txt"))
    assert_clean_failure(result)
    assert f"{rubric}:8: criteria[0].bands[0].min: expected a number, got 'ten'" in result.stderr
    assert result.stdout == ""


def test_rubric_check_prints_a_summary_or_every_problem(leadbot, tmp_path: Path):
    result = leadbot("rubric", "check", str(EXAMPLES.parent / "rubrics" / "default.yaml"))
    assert result.returncode == 0, result.stderr
    for expected in (
        "budget (money, required): up to 25 points",
        "bands: ≥ 50,000 -> 25; 10,000–49,999 -> 15; 1–9,999 -> 5; ≤ 0 -> 0",
        "choices: decision_maker -> 20; influencer -> 10; end_user -> 4; unknown -> 0",
        "student - Student or academic research",
        "hot (score >= 70): Posted to the sales channel · claim within 15 min",
        "Rubric 'default', version ",
    ):
        assert expected in result.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncriteria: []\ntiers:\n  - {id: hot, min_score: 10}\n  - {id: c}\n")
    result = leadbot("rubric", "check", str(bad))
    assert_clean_failure(result)
    problems = result.stderr.splitlines()
    assert len(problems) == 3
    assert problems[0].startswith(f"{bad}:2: criteria: ")
    assert problems[1:] == [
        f"{bad}:5: tiers[1].min_score: required field is missing",
        f"{bad}: 2 problems",
    ]


def test_rubric_check_without_a_file_checks_the_rubric_in_force(leadbot, tmp_path, monkeypatch):
    bundled = leadbot("rubric", "check")
    assert bundled.returncode == 0, bundled.stderr
    assert bundled.stdout.splitlines()[:2] == [
        f"{DEFAULT_RUBRIC_PATH}: OK",
        f"Rubric 'default', version {load_rubric().version}",
    ]

    chosen = tmp_path / "chosen.yaml"
    chosen.write_text("name: x\ncriteria: []\ntiers: oops\n")
    monkeypatch.setenv("LEADBOT_RUBRIC", str(chosen))
    result = leadbot("rubric", "check")
    assert_clean_failure(result)
    assert f"{chosen}:3: tiers" in result.stderr


def test_version_is_the_installed_distribution(leadbot):
    result = leadbot("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"leadbot {version('leadbot')}\n"


def test_qualify_stores_leads_once_and_adds_a_qualification_per_run(leadbot, tmp_path: Path):
    leads = str(EXAMPLES / "leads.txt")
    for _ in range(2):
        result = leadbot("qualify", leads)
        assert result.returncode == 0, result.stderr
    assert "Stored in sqlite:///leadbot.db (--no-store for a dry run)" in result.stdout
    repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'leadbot.db'}")
    assert [repository.get_lead(i) is not None for i in (8, 9)] == [True, False]
    assert repository.count_qualifications() == 16
    assert {repository.get_lead(i).status for i in range(1, 9)} <= {"qualified", "disqualified"}
    repository.engine.dispose()

    history = leadbot("rubric", "history")
    assert history.returncode == 0, history.stderr
    (row,) = [line for line in history.stdout.splitlines() if "in use" in line]
    cells = row.split()
    assert cells[:2] == ["default", load_rubric().version]
    assert cells[-5:] == ["8", "16", "<-", "in", "use"]


def test_no_store_leaves_no_database(leadbot, tmp_path: Path):
    result = leadbot("qualify", "--no-store", str(EXAMPLES / "leads.txt"))
    assert result.returncode == 0, result.stderr
    assert "8 leads: " in result.stdout
    assert not (tmp_path / "leadbot.db").exists()


def test_demo_runs_offline_and_writes_the_block_kit_json(leadbot, tmp_path: Path):
    result = leadbot("demo")
    assert result.returncode == 0, result.stderr
    assert (
        "leadbot demo: 8 sample leads from examples/leads.txt, offline qualifier" in result.stdout
    )
    assert "Block Kit messages the bot would post: out/demo-blocks.json" in result.stdout
    assert "Leads and qualifications stored in out/demo.db\n" in result.stdout
    messages = json.loads((tmp_path / "out" / "demo-blocks.json").read_text())
    assert [m["id"] for m in messages][:2] == ["examples/leads.txt:1", "examples/leads.txt:12"]
    assert len(messages) == 8
    repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'out' / 'demo.db'}")
    assert repository.count_qualifications() == 8
    repository.engine.dispose()
    again = leadbot("demo")
    assert again.returncode == 0, again.stderr
    repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'out' / 'demo.db'}")
    assert repository.count_qualifications() == 8
    repository.engine.dispose()


def test_a_full_disk_on_output_is_a_one_line_error(leadbot_script: Path, tmp_path: Path):
    leads = tmp_path / "leads.txt"
    leads.write_text("CFO at Globex, 300 employees, budget $80k, need lead routing\n")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [str(leadbot_script), "qualify", "--no-store", str(leads)],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == "leadbot: [Errno 28] No space left on device"
