"""Delivery under load and faults: a burst of leads with Slack's per-channel limit emulated,
and Slack answering 500, 429 or holding its answers longer than the client waits.

The real app (create_app: services, worker, Slack gateway, SQLite in a temporary directory)
posts to the local Slack stand-in (tests/fakes/slack_api.py), which stores every message
with its metadata, counts messages stored twice under one key and emulates the limit (about
one message a second per channel after a burst of 4; 429 with Retry-After past it).

    python benchmarks/delivery.py burst [--leads 500] [--speed 10]
    python benchmarks/delivery.py faults [--leads 100] [--hold 15]

`burst` stores the leads first (web-form leads: no marketer thread to answer), then lets
the worker post them all to one sales channel. `--speed` runs Slack's limit and leadbot's
pacing that many times faster (10: 10 posts/s instead of 1) so 500 leads take a minute; the
per-second figures are divided by it. Targets: at most the limit's rate (1/s per channel,
the burst aside), no 429 storm (429s <= 1% of posts), hot leads posted before the others on
average, 0 doubled. `faults` posts `--leads` leads through 500s, 429s and answers held
`--hold` s (the client gives up after 10 s); target: every lead posted, 0 doubled.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from fakes.slack_api import FakeSlackAPI  # noqa: E402
from throughput import generate_leads  # noqa: E402

from bot.bootstrap import create_app  # noqa: E402
from bot.domain.lifecycle import LeadSource  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.gateway import build_web_client  # noqa: E402
from bot.store.database import Database  # noqa: E402
from qualifiers.models import Lead  # noqa: E402

SALES = "CSALES"
BURST = 4
MAX_429_SHARE = 0.01


def build(fake: FakeSlackAPI, folder: Path, *, rate: float, timeout: float = 10.0):
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET="bench-secret",
        SLACK_API_URL=fake.url,
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        LEADBOT_SLACK_CHANNEL_RATE=rate,
        LEADBOT_SLACK_CHANNEL_BURST=BURST,
        LEADBOT_WORKER_THREADS=4,
    )
    client = build_web_client("xoxb-bench", fake.url, backoff_seconds=0.05)
    client.timeout = timeout
    database = Database.from_url(settings.database_url)
    app = create_app(settings, client=client, database=database)
    app.worker.poll_seconds = 0.05
    app.worker.retry_base_seconds = 0.2
    app.worker.retry_max_seconds = 2.0
    return app


def store(app, count: int, seed: int = 7) -> None:
    for record in generate_leads(count, seed):
        lead_id, text = record.pop("id"), record.pop("text")
        lead = Lead(id=lead_id, text=text, fields=record, source=LeadSource.WEBHOOK)
        app.services.receive.receive(lead, dedupe_key=f"bench:{lead_id}")


def run_until_idle(app, timeout: float) -> float:
    started = time.perf_counter()
    app.start_worker()
    try:
        app.worker.wait_until_idle(timeout=timeout)
    finally:
        app.stop()
    return time.perf_counter() - started


def tiers_by_lead(app) -> dict[int, str]:
    from bot.store.tables import QualificationRow

    with app.database.session() as session:
        return {row.lead_id: row.tier for row in session.query(QualificationRow)}


def most_in_window(times: list[float], window: float) -> int:
    """The most posts in any window of `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def burst(leads: int, speed: float) -> bool:
    fake = FakeSlackAPI().start()
    fake.limit_channels(per_second=speed, burst=BURST, retry_after=1)
    with tempfile.TemporaryDirectory() as folder:
        app = build(fake, Path(folder), rate=speed)
        store(app, leads)
        elapsed = run_until_idle(app, timeout=leads / speed * 3 + 60)
        tiers = tiers_by_lead(app)
        app.database.engine.dispose()
    messages = fake.messages(SALES)
    fake.stop()
    order = {
        m["metadata"]["event_payload"]["lead_id"]: position
        for position, m in enumerate(messages)
        if m["metadata"]["event_payload"]["kind"] == "summary"
    }
    hot = [order[i] for i, tier in tiers.items() if tier == "hot" and i in order]
    rest = [order[i] for i, tier in tiers.items() if tier != "hot" and i in order]
    peak = most_in_window(fake.post_times[SALES], 1.0 / speed)  # one second at 1x
    sustained = most_in_window(fake.post_times[SALES], 60.0 / speed) / 60  # a minute at 1x
    posts = len(fake.calls("chat.postMessage"))
    doubled = fake.doubled()
    hot_first = bool(hot) and bool(rest) and statistics.mean(hot) < statistics.mean(rest)
    print(f"burst of {leads} leads, Slack's limit and leadbot's pacing at {speed:g}x")
    print(f"  posted {len(order)} summaries in {elapsed:.1f} s ({elapsed * speed:.0f} s at 1x)")
    print(f"  max posts in {SALES} in one second: {peak} (burst {BURST}, at 1x)")
    print(f"  max posts per second over a minute: {sustained:.2f} (limit 1, at 1x)")
    print(f"  429 answers: {fake.rate_limited} of {posts} chat.postMessage calls")
    if hot and rest:
        print(
            f"  mean position: hot {statistics.mean(hot):.0f} ({len(hot)} leads), "
            f"others {statistics.mean(rest):.0f} ({len(rest)} leads)"
        )
    print(f"  doubled: {doubled}")
    met = (
        len(order) == leads - Counter(tiers.values())["disqualified"]
        and peak <= BURST
        and sustained <= 1 + (BURST - 1) / 60
        and fake.rate_limited <= MAX_429_SHARE * posts
        and doubled == 0
    )
    target = "paced: burst <= 4, <= 1/s over a minute; 429s <= 1%; 0 doubled"
    print(f"  target ({target}): {'met' if met else 'NOT met'}")
    print(f"  hot first on average: {'yes' if hot_first else 'no'}")
    return met


def faults(leads: int, hold: float) -> bool:
    fake = FakeSlackAPI().start()
    fake.fail_next("chat.postMessage", times=leads // 10, mode="http500")
    fake.fail_next("chat.postMessage", times=leads // 10, mode="ratelimit", retry_after=1)
    fake.after_storing("hold", times=leads // 5, seconds=hold)
    fake.after_storing("lose", times=leads // 10)
    with tempfile.TemporaryDirectory() as folder:
        app = build(fake, Path(folder), rate=1000)
        store(app, leads)
        elapsed = run_until_idle(app, timeout=leads * 2 + hold * 10 + 60)
        tiers = tiers_by_lead(app)
        app.database.engine.dispose()
    posted = {m["metadata"]["event_payload"]["lead_id"] for m in fake.messages(SALES)}
    expected = {i for i, tier in tiers.items() if tier != "disqualified"}
    doubled = fake.doubled()
    fake.stop()
    print(
        f"{leads} leads through {leads // 10} HTTP 500s, {leads // 10} 429s, "
        f"{leads // 5} answers held {hold:g} s (client timeout 10 s), {leads // 10} lost"
    )
    print(f"  posted {len(posted & expected)} of {len(expected)} in {elapsed:.1f} s")
    print(f"  doubled: {doubled}")
    met = posted >= expected and doubled == 0
    print(f"  target (all posted, 0 doubled): {'met' if met else 'NOT met'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="scenario", required=True)
    burst_parser = commands.add_parser("burst")
    burst_parser.add_argument("--leads", type=int, default=500)
    burst_parser.add_argument("--speed", type=float, default=10.0)
    faults_parser = commands.add_parser("faults")
    faults_parser.add_argument("--leads", type=int, default=100)
    faults_parser.add_argument("--hold", type=float, default=15.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the retries' warnings are the point here
    if args.scenario == "burst":
        met = burst(args.leads, args.speed)
    else:
        met = faults(args.leads, args.hold)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
