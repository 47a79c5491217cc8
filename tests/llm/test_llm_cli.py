"""`leadbot qualify --model openai:...` goes through the LLM qualifier with no other change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from fakes.openai_api import FakeResponse

from bot.cli import COMMANDS, commands_needed, main


def test_qualify_with_a_model_calls_it_once_per_lead_and_caches(
    fake_openai, monkeypatch, tmp_path, capsys
):
    def respond(body):
        lead = body["messages"][-1]["content"]
        size = 300 if "300" in lead else 12
        answer = {"criteria": {"company_size": {"evidence": f"{size} people", "value": size}}}
        return FakeResponse(content=answer)

    fake_openai.responder = respond
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LEADBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    leads = tmp_path / "leads.txt"
    leads.write_text("We are 300 people and need help.\n---\nJust 12 people here.\n")
    command = ["qualify", str(leads), "--model", "openai:gpt-4o-mini", "--format", "json"]

    first_exit = main(command)
    first = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    second_exit = main(command)
    second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert first_exit == second_exit == 0
    assert [r["qualifier"] for r in first] == ["openai:gpt-4o-mini"] * 2
    assert [r["criteria"][-1]["value"] for r in first] == [300, 12]
    assert [r["criteria"][-1]["evidence"] for r in first] == ["300 people", "12 people"]
    assert second == first
    assert len(fake_openai.requests) == 2  # the second run came from the database cache


def test_qualify_with_a_broken_model_still_qualifies_offline(
    fake_openai, monkeypatch, tmp_path, capsys
):
    fake_openai.responder = lambda _body: FakeResponse(
        status=500, headers={"x-should-retry": "false"}
    )
    monkeypatch.setenv("LEADBOT_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    leads = tmp_path / "leads.txt"
    leads.write_text("We are 300 people and need help.\n")

    exit_code = main(["qualify", str(leads), "--no-store"])

    out = capsys.readouterr().out
    assert exit_code == 0
    assert "qualified offline: model unavailable (server error)" in out
    assert len(fake_openai.requests) == 1


def test_a_fully_cached_rerun_loads_no_model_client_nor_migrations(
    fake_openai, monkeypatch, tmp_path, capsys
):
    fake_openai.responder = lambda _body: FakeResponse(
        content={"criteria": {"company_size": {"evidence": "300 people", "value": 300}}}
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "OPENAI_"))}
    env |= {
        "OPENAI_BASE_URL": fake_openai.url + "/v1",
        "OPENAI_API_KEY": "test",
        "LEADBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    leads = tmp_path / "leads.txt"
    leads.write_text("We are 300 people and need help.\n")
    command = ["qualify", str(leads), "--model", "openai:gpt-4o-mini", "--format", "json"]
    assert main(command) == 0
    first = capsys.readouterr().out
    heavy = ("langchain_core", "openai", "alembic", "slack_bolt", "numpy")
    probe = (
        "import sys; from bot.cli import run; code = run(sys.argv[1:]); "
        f"print([m for m in {heavy!r} if m in sys.modules], file=sys.stderr); sys.exit(code)"
    )

    rerun = subprocess.run(
        [sys.executable, "-c", probe, *command], env=env, capture_output=True, text=True
    )

    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout == first
    assert rerun.stderr.strip().splitlines()[-1] == "[]"
    assert len(fake_openai.requests) == 1


def test_a_model_run_sends_its_calls_before_loading_the_offline_rules(fake_openai, tmp_path):
    """The offline rules' import compiles their regexes (half a second): a bulk run's first
    calls go out first, and the rules still fill in and check the answers afterwards."""
    release = threading.Event()

    def respond(_body):
        release.wait(timeout=60)  # the answer waits until the probe has reported
        return FakeResponse(
            content={"criteria": {"company_size": {"evidence": "300 people", "value": 300}}}
        )

    fake_openai.responder = respond
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "OPENAI_"))}
    env |= {
        "LEADBOT_MODEL": "openai:gpt-4o-mini",
        "OPENAI_BASE_URL": fake_openai.url + "/v1",
        "OPENAI_API_KEY": "test",
        "LEADBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    probe = (
        "import sys\n"
        "from bot.bootstrap import build_qualifier\n"
        "from bot.settings import Settings\n"
        "from qualifiers.models import Lead\n"
        "from qualifiers.rubric import load_rubric\n"
        "lead = Lead(text='We are 300 people and need help.')\n"
        "results = build_qualifier(Settings()).submit([lead], load_rubric())\n"
        "print('qualifiers.extract.offline' in sys.modules, flush=True)\n"
        "[qualified] = results()\n"
        "size = {c.id: c for c in qualified.criteria}['company_size']\n"
        "print(qualified.qualifier, size.value, size.source)\n"
    )

    with subprocess.Popen(
        [sys.executable, "-c", probe], env=env, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            loaded_when_calls_started = process.stdout.readline().strip()
        finally:
            release.set()
        answered = process.stdout.read().strip()

    assert process.returncode == 0
    assert loaded_when_calls_started == "False"
    assert answered == "openai:gpt-4o-mini 300 model"
    assert len(fake_openai.requests) == 1


def test_an_offline_run_loads_no_model_client(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "OPENAI_"))}
    leads = tmp_path / "leads.txt"
    leads.write_text("We are 300 people and need help.\n")
    heavy = ("langchain_core", "langchain_openai", "openai", "qualifiers.extract.llm")
    probe = (
        "import sys; from bot.cli import run; code = run(sys.argv[1:]); "
        f"print([m for m in {heavy!r} if m in sys.modules], file=sys.stderr); sys.exit(code)"
    )
    command = ["qualify", str(leads), "--model", "offline", "--no-store", "--format", "json"]

    result = subprocess.run(
        [sys.executable, "-c", probe, *command], env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["qualifier"] == "offline"
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_a_command_line_loads_only_the_command_it_names():
    assert commands_needed(["-v", "qualify", "leads.txt"]) == ("qualify",)
    assert commands_needed(["--version"]) == ()
    assert commands_needed(["--help"]) == COMMANDS
    assert commands_needed(["qualfy"]) == COMMANDS  # a typo gets the usage listing them all
