"""`leadbot serve` as started from the docs: gunicorn over HTTP, Slack faked at its wire."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from served import serve
from slack_helpers import SALES, SIGNING_SECRET, WARM_LEAD, SlackSide

from bot.render import summary as blocks

REPS = [f"UREP{n:02d}" for n in range(20)]


@pytest.fixture
def served(fake_slack, tmp_path):
    """`leadbot serve --port N` in a subprocess; yields its base URL once it is ready."""
    with serve(fake_slack, tmp_path) as server:
        yield server.url


def test_serve_answers_health_and_handles_twenty_concurrent_claims(served, fake_slack):
    with urllib.request.urlopen(served + "/healthz", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["ok"] is True

    slack = SlackSide(served)
    assert slack.event(slack.message_event(WARM_LEAD)).status == 200
    channel, ts = _summary_location(fake_slack)
    [summary] = [c for c in fake_slack.calls("chat.postMessage") if "blocks" in c.body]
    assert channel == SALES == summary.body["channel"]
    lead_id = summary.body["blocks"][-1]["elements"][0]["value"]

    start = threading.Barrier(len(REPS))

    def click(rep: str) -> int:
        start.wait()
        return slack.click(blocks.ACTION_CLAIM, lead_id, rep, channel, ts).status

    with ThreadPoolExecutor(len(REPS)) as pool:
        assert list(pool.map(click, REPS)) == [200] * len(REPS)
    ephemerals = fake_slack.wait_for("chat.postEphemeral", len(REPS) - 1, timeout=15)
    [update] = fake_slack.wait_for("chat.update", 1, timeout=15)
    winners = set(REPS) - {c.body["user"] for c in ephemerals}
    assert len(winners) == 1 and len(ephemerals) == len(REPS) - 1
    assert f"Claimed by <@{winners.pop()}>" in json.dumps(update.body["blocks"])


def _summary_location(fake_slack) -> tuple[str, str]:
    """Where the summary is, from the permalink the bot posts in the intake thread (the
    ts without its dot, as Slack writes permalinks)."""
    calls = fake_slack.wait_for("chat.postMessage", 2, timeout=15)
    reply = next(c.body["text"] for c in calls if c.body.get("thread_ts"))
    channel, digits = re.search(r"/archives/(\w+)/p(\d+)\|", reply).groups()
    return channel, f"{digits[:-6]}.{digits[-6:]}"


def test_serve_says_what_to_set_instead_of_starting(monkeypatch, capsys, tmp_path):
    from bot.cli import main

    monkeypatch.setenv("LEADBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["serve"]) == 2
    assert "set SLACK_BOT_TOKEN" in capsys.readouterr().err

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert main(["serve"]) == 2  # no LEADBOT_SALES_CHANNEL and the rubric routes nothing
    assert "set LEADBOT_SALES_CHANNEL" in capsys.readouterr().err

    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ncriteria: []\ntiers: oops\n")
    monkeypatch.setenv("LEADBOT_SALES_CHANNEL", SALES)
    monkeypatch.setenv("LEADBOT_RUBRIC", str(broken))
    assert main(["serve"]) == 2
    assert "broken.yaml:3: tiers" in capsys.readouterr().err


def test_the_built_app_is_left_out_of_full_garbage_collections(monkeypatch):
    """A full pass over everything serve and the worker load takes hundreds of ms with every
    thread stopped: what exists once the app is built is frozen, so no pass walks it."""
    import gc

    from bot.cli.serve import build
    from bot.settings import Settings

    built = object()
    monkeypatch.setattr("bot.bootstrap.create_app", lambda settings: built)
    gc.unfreeze()
    try:
        assert build(Settings(_env_file=None)) is built
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_serve_restarts_its_worker_process_when_it_fails_and_stops_it_at_the_end(monkeypatch):
    from bot.cli.serve import WorkerProcess

    spawned: list[subprocess.Popen] = []

    def spawn() -> subprocess.Popen:
        code = "import sys; sys.exit(3)" if not spawned else "import time; time.sleep(60)"
        spawned.append(subprocess.Popen([sys.executable, "-c", code]))
        return spawned[-1]

    monkeypatch.setattr(WorkerProcess, "_spawn", staticmethod(spawn))
    worker = WorkerProcess()
    try:
        deadline = time.monotonic() + 20
        while len(spawned) < 2:  # the failed one is replaced after its backoff
            assert time.monotonic() < deadline, "the worker process was not restarted"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert spawned[0].returncode == 3
    assert spawned[1].returncode == -signal.SIGTERM


def test_serve_restarts_a_worker_process_that_another_waiter_reaped(monkeypatch):
    """gunicorn's arbiter reaps every child of serve's process (waitpid(-1)): a failed worker
    it reaped first reads as exit code 0 to serve, and must still be replaced."""
    from bot.cli.serve import WorkerProcess

    spawned: list[subprocess.Popen] = []

    def spawn() -> subprocess.Popen:
        code = "import sys; sys.exit(1)" if not spawned else "import time; time.sleep(60)"
        process = subprocess.Popen([sys.executable, "-c", code])
        if not spawned:
            os.waitpid(process.pid, 0)  # reaped by someone else, as gunicorn does
        spawned.append(process)
        return process

    monkeypatch.setattr(WorkerProcess, "_spawn", staticmethod(spawn))
    worker = WorkerProcess()
    try:
        deadline = time.monotonic() + 20
        while len(spawned) < 2:
            assert time.monotonic() < deadline, "the reaped worker process was not replaced"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert spawned[0].returncode == 0  # what Popen reads for a child reaped elsewhere
    assert spawned[1].returncode == -signal.SIGTERM
