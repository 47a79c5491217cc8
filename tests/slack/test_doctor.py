"""`leadbot doctor` against the Slack and OpenAI stand-ins: each set-up mistake is one line
with a fix, and the exit code says how bad it is (0 ok, 1 warnings, 2 errors)."""

from __future__ import annotations

import pytest
from slack_helpers import INTAKE, SALES, SIGNING_SECRET
from sqlalchemy import create_engine, text

from bot.cli import main
from bot.manifest import requested_bot_scopes
from bot.store.database import Database

APP_TOKEN = "xapp-test"


@pytest.fixture
def set_up(monkeypatch, fake_slack, tmp_path):
    """A complete, working set-up; each test breaks one thing. Returns a doctor runner."""
    database = tmp_path / "leadbot.db"
    Database.from_url(f"sqlite:///{database}").engine.dispose()  # created and migrated
    fake_slack.set_scopes(requested_bot_scopes())
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "LEADBOT_INTAKE_CHANNELS": INTAKE,
        "LEADBOT_SALES_CHANNEL": SALES,
        "LEADBOT_DATABASE_URL": f"sqlite:///{database}",
        "LEADBOT_MODEL": "offline",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def doctor(capsys) -> tuple[int, dict[str, list[str]]]:
    """Exit code, and the printed lines by status."""
    code = main(["doctor"])
    lines: dict[str, list[str]] = {"ok": [], "warning": [], "error": []}
    for line in capsys.readouterr().out.splitlines():
        status = line.split()[0]
        lines[status].append(line)
    return code, lines


def only_problem(lines: dict[str, list[str]], status: str) -> str:
    other = "warning" if status == "error" else "error"
    assert lines[other] == []
    [line] = lines[status]
    assert " -> fix: " in line
    return line


def test_a_complete_set_up_is_all_ok(set_up, capsys, fake_slack):
    code, lines = doctor(capsys)
    assert (code, lines["warning"], lines["error"]) == (0, [], [])
    printed = "\n".join(lines["ok"])
    for expected in (
        "settings: read from the environment",
        "rubric: 'default' version ",
        f"routing: hot, warm, cold -> {SALES}",
        "database: sqlite:///",
        "reachable, schema up to date",
        f"intake: watching {INTAKE}",
        "slack: SLACK_BOT_TOKEN works: @leadbot in Example",
        f"scopes: the token has all {len(requested_bot_scopes())} scopes",
        f"channel {INTAKE}: #channel-cintake (intake): the bot is a member",
        f"channel {SALES}: #channel-csales (posts): the bot is a member",
        "model: offline qualifier",
    ):
        assert expected in printed
    assert {call.method for call in fake_slack.calls()} == {"auth.test", "conversations.info"}
    assert all(call.token == "xoxb-test-token" for call in fake_slack.calls())


def test_no_intake_channel_warns_that_nothing_will_be_picked_up(set_up, capsys):
    set_up.delenv("LEADBOT_INTAKE_CHANNELS")
    code, lines = doctor(capsys)
    assert code == 1
    line = only_problem(lines, "warning")
    assert "nothing will be picked up" in line and "set LEADBOT_INTAKE_CHANNELS" in line


def test_a_refused_bot_token_is_an_error(set_up, capsys, fake_slack):
    fake_slack.fail_next("auth.test", error="invalid_auth")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line
    assert "Bot User OAuth Token" in line


def test_an_unreachable_slack_is_an_error(set_up, capsys):
    set_up.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "cannot reach Slack at http://127.0.0.1:9/api/" in line and "SLACK_API_URL" in line


def test_a_missing_scope_is_named(set_up, capsys, fake_slack):
    fake_slack.set_scopes(requested_bot_scopes() - {"reactions:write", "files:read"})
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "the token lacks files:read, reactions:write" in line and "reinstall" in line


def test_the_bot_must_be_in_each_intake_channel(set_up, capsys, fake_slack):
    fake_slack.set_channel(INTAKE, name="leads", is_member=False)
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert f"channel {INTAKE}: the bot is not in #leads" in line
    assert "/invite @leadbot in #leads" in line


def test_a_sales_channel_can_be_posted_to_with_chat_write_public(set_up, capsys, fake_slack):
    fake_slack.set_channel(SALES, name="sales", is_member=False)
    code, lines = doctor(capsys)
    assert code == 0
    assert any("#sales (posts): public, posted to with chat:write.public" in x for x in lines["ok"])

    fake_slack.set_scopes(requested_bot_scopes() - {"chat:write.public"})
    code, lines = doctor(capsys)
    assert code == 2
    assert [x for x in lines["error"] if "/invite @leadbot in #sales" in x]

    fake_slack.set_scopes(requested_bot_scopes())
    fake_slack.set_channel(SALES, is_private=True)
    code, lines = doctor(capsys)
    assert code == 2
    assert only_problem(lines, "error").startswith(f"error   channel {SALES}: the bot is not")


def test_channels_routed_by_the_rubric_are_checked_and_unknown_ones_named(
    set_up, capsys, fake_slack, tmp_path
):
    from qualifiers.rubric import DEFAULT_RUBRIC_PATH

    rubric = tmp_path / "routed.yaml"
    tier = "{id: hot, min_score: 70, sla_minutes: 15}"
    rubric.write_text(DEFAULT_RUBRIC_PATH.read_text().replace(tier, tier[:-1] + ", channel: CHOT}"))
    set_up.setenv("LEADBOT_RUBRIC", str(rubric))
    fake_slack.remove_channel("CHOT")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "channel CHOT: not found" in line and "channel ID" in line
    assert any(f"routing: hot -> CHOT; warm, cold -> {SALES}" in x for x in lines["ok"])


def test_no_sales_channel_is_an_error_when_slack_is_set_up(set_up, capsys):
    set_up.delenv("LEADBOT_SALES_CHANNEL")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "routing: no channel for tier hot, warm, cold" in line
    assert "set LEADBOT_SALES_CHANNEL" in line


def test_without_slack_only_warnings_remain(set_up, capsys, fake_slack):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "LEADBOT_SALES_CHANNEL"):
        set_up.delenv(name)
    code, lines = doctor(capsys)
    assert code == 1 and lines["error"] == []
    assert [line.split(":")[0] for line in lines["warning"]] == ["warning routing", "warning slack"]
    assert "leadbot manifest" in lines["warning"][1]
    assert fake_slack.calls() == []


def test_a_broken_rubric_names_its_file_and_line(set_up, capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ncriteria: []\ntiers: oops\n")
    set_up.setenv("LEADBOT_RUBRIC", str(broken))
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert f"rubric: {broken}:2: criteria: " in line
    assert f"`leadbot rubric check {broken}`" in line


def test_settings_that_do_not_parse_are_the_one_error(set_up, capsys):
    set_up.setenv("LEADBOT_WORKER_THREADS", "lots")
    code, lines = doctor(capsys)
    assert code == 2
    assert lines["ok"] == []
    line = only_problem(lines, "error")
    assert "settings: LEADBOT_WORKER_THREADS: Input should be a valid integer" in line


def test_database_unreachable_or_from_a_newer_leadbot(set_up, capsys, tmp_path):
    set_up.setenv("LEADBOT_DATABASE_URL", "postgresql://leadbot:secret@127.0.0.1:9/leadbot")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "cannot open postgresql://leadbot:***@127.0.0.1:9/leadbot" in line
    assert "secret" not in line

    newer = tmp_path / "newer.db"
    Database.from_url(f"sqlite:///{newer}").engine.dispose()
    engine = create_engine(f"sqlite:///{newer}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    set_up.setenv("LEADBOT_DATABASE_URL", f"sqlite:///{newer}")
    code, lines = doctor(capsys)
    assert code == 2
    assert "schema revision 9999_future is unknown" in only_problem(lines, "error")


def test_a_database_not_created_yet_is_fine_and_is_not_created(set_up, capsys, tmp_path):
    future = tmp_path / "later.db"
    set_up.setenv("LEADBOT_DATABASE_URL", f"sqlite:///{future}")
    code, lines = doctor(capsys)
    assert code == 0
    assert any("not created yet" in line for line in lines["ok"])
    assert not future.exists()


def test_the_app_token_is_tried_as_socket_mode_starts(set_up, capsys, fake_slack):
    set_up.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    fake_slack.set_socket_url("ws://127.0.0.1:9/link/?ticket=t")
    code, lines = doctor(capsys)
    assert code == 0
    assert any("SLACK_APP_TOKEN works" in line for line in lines["ok"])
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.token == APP_TOKEN

    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    code, lines = doctor(capsys)
    assert code == 2
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in only_problem(lines, "error")


def test_the_model_answers_one_tiny_call(set_up, capsys, fake_openai):
    set_up.setenv("LEADBOT_MODEL", "openai:gpt-4o-mini")
    set_up.setenv("OPENAI_API_KEY", "sk-test")
    set_up.setenv("OPENAI_BASE_URL", fake_openai.url + "/v1")
    fake_openai.enqueue("OK")
    code, lines = doctor(capsys)
    assert code == 0
    assert any("model: openai:gpt-4o-mini answered" in line for line in lines["ok"])
    [request] = fake_openai.requests
    assert request.headers["authorization"] == "Bearer sk-test"
    assert len(request.body["messages"]) == 1

    fake_openai.enqueue(status=401, error="Incorrect API key provided.")
    code, lines = doctor(capsys)
    assert code == 2
    line = only_problem(lines, "error")
    assert "refused the API key (401)" in line and "OPENAI_API_KEY" in line
    assert len(fake_openai.requests) == 2  # no retries: one call each run
