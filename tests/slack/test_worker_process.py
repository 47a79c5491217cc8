"""`leadbot worker` as its own process, killed -9 while it posts: the next worker takes the
killed one's work once its lease runs out, and no lead is lost."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from slack_helpers import INTAKE, process_env, summaries

from bot.domain.lifecycle import LeadSource
from bot.domain.work import ProcessLead
from bot.store.work_queue import WorkQueue
from qualifiers.models import Lead

LEADS = 6
LEASE_SECONDS = 2


def _worker(fake_slack, database_url: str, log: Path) -> subprocess.Popen:
    env = process_env(
        fake_slack.url,
        database_url,
        LEADBOT_WORKER_LEASE=str(LEASE_SECONDS),
        LEADBOT_WORKER_POLL="0.05",
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("leadbot")), "worker"],
            env=env,
            stdout=out,
            stderr=out,
        )


def test_a_killed_worker_loses_nothing_and_its_work_is_taken_over(fake_slack, repo, tmp_path):
    queue = WorkQueue(repo)
    for n in range(LEADS):
        stored, _ = repo.add_lead(
            Lead(
                text=f"Lead {n}: CFO at Globex{n}, budget $80k, 1,400 employees",
                source=LeadSource.SLACK_MESSAGE,
                submitted_by="UMKT",
            ),
            intake_channel=INTAKE,
            intake_ts=f"1700000{n:03d}.000100",
        )
        queue.enqueue(ProcessLead(lead_id=stored.id))
    fake_slack.set_delay(1.0, "chat.postMessage")  # the kill comes while a post is in flight
    url = str(repo.engine.url)
    log = tmp_path / "worker.log"

    first = _worker(fake_slack, url, log)
    try:
        fake_slack.wait_for("chat.postMessage", 1, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    fake_slack.set_delay(0.0, "chat.postMessage")
    second = _worker(fake_slack, url, log)
    try:
        fake_slack.wait_for("chat.postMessage", 2 * LEADS, timeout=60)
        posted = {call.body["text"] for call in summaries(fake_slack)}
        for n in range(LEADS):  # every lead reached sales (a killed post may show twice)
            assert any(f"Globex{n}" in text for text in posted), (n, log.read_text()[-2000:])
        assert queue.health(stuck_seconds=60, failed_window_seconds=60).failed_recently == 0
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0  # stopped cleanly on SIGTERM
