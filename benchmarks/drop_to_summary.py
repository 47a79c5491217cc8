"""Drop-to-summary: how long from a lead dropped in the intake channel to its summary in the
sales channel, on `leadbot serve` with its worker, at a steady rate.

200 signed message events at 5 a second (one every 200 ms, each on its own thread, so a
slow ack does not delay the next drop) reach `leadbot serve` on SQLite, and on PostgreSQL
when it is reachable. The Slack stand-in records when each summary arrives; the figure is
that moment minus the moment the lead's event was sent. Slack's own per-channel limit
(about one message a second) would cap one sales channel below 5 a second, so leadbot's
channel pacing is raised out of the way, as in ack_latency.py; `delivery.py burst`
measures the pacing. First WARMUP leads are dropped and posted, so the worker process
(which `serve` starts beside its web workers) is up and warm. Prints p50/p95/max per
database, and whether p95 < 1 s with every lead posted exactly once.

    python benchmarks/drop_to_summary.py [--leads 200] [--rate 5]
        [--postgres postgresql://127.0.0.1:5432/test | --no-postgres]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    DEFAULT_POSTGRES,
    SALES,
    UNPACED,
    FakeSlackAPI,
    free_port,
    leadbot_env,
    load_note,
    message_body,
    percentile,
    post_signed,
    postgres_if_reachable,
    start_serve,
    stop,
    summarised_lead,
    verdict,
    wait_ready,
    wait_until,
)

TARGET_P95_SECONDS = 1.0
WARMUP = 10


def summary_times(fake: FakeSlackAPI) -> dict[str, list[float]]:
    """When each lead's summaries reached the sales channel (monotonic), by intake ts."""
    found: dict[str, list[float]] = {}
    for message, posted in zip(fake.messages(SALES), fake.post_times[SALES], strict=False):
        if ts := summarised_lead(message):
            found.setdefault(ts, []).append(posted)
    return found


def all_posted(fake: FakeSlackAPI, sent: dict[str, float], failed: int):
    """The summary times once every answered lead of `sent` has one, else None."""
    times = summary_times(fake)
    return times if len(sent.keys() & times) >= len(sent) - failed else None


def drop_at_rate(url: str, numbers: list[int], rate: float) -> tuple[dict[str, float], int]:
    """Send each lead's event on schedule; returns when each was sent (by ts) and how many
    were not answered 200."""
    sent: dict[str, float] = {}
    failed = []
    threads = []
    start = time.monotonic()
    for index, number in enumerate(numbers):
        time.sleep(max(0.0, start + index / rate - time.monotonic()))
        body, ts = message_body(number)
        sent[ts] = time.monotonic()

        def drop(body: str = body) -> None:
            status, _ = post_signed(url, body)
            if status != 200:
                failed.append(status)

        thread = threading.Thread(target=drop)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return sent, len(failed)


def run(name: str, database_url: str, numbers: list[int], rate: float, workdir: Path) -> bool:
    with FakeSlackAPI() as fake:
        port = free_port()
        env = leadbot_env(fake.url, database_url, **UNPACED)
        process = start_serve(env, port, workdir / f"{name}.log")
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url)
            warmup, numbers = numbers[:WARMUP], numbers[WARMUP:]
            drop_at_rate(url, warmup, rate)
            wait_until(lambda: len(summary_times(fake)) >= WARMUP, 60, f"{name}: warm-up")
            sent, failed = drop_at_rate(url, numbers, rate)
            posted = wait_until(
                lambda: all_posted(fake, sent, failed), 120, f"{name}: summaries", interval=0.2
            )
        finally:
            stop(process)
    seconds = [min(times) - sent[ts] for ts, times in posted.items() if ts in sent]
    doubled = sum(1 for times in posted.values() if len(times) > 1)
    p95 = percentile(seconds, 0.95)
    met = p95 < TARGET_P95_SECONDS and not failed and not doubled and len(seconds) == len(sent)
    print(
        f"{name:<20} p50 {percentile(seconds, 0.5) * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  "
        f"max {max(seconds) * 1000:6.0f} ms  posted {len(seconds)} of {len(sent)}, "
        f"{doubled} doubled, non-200 {failed}: {verdict(met)}",
        flush=True,
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="leads per second")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.leads} leads at {args.rate:g}/s; target p95 < {TARGET_P95_SECONDS:g} s; "
        f"{load_note()}"
    )
    counter = itertools.count(1)
    batch = lambda: [next(counter) for _ in range(WARMUP + args.leads)]  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        all_met = run(
            "leadbot, SQLite", f"sqlite:///{workdir / 'bench.db'}", batch(), args.rate, workdir
        )
        if not args.no_postgres:
            with postgres_if_reachable(args.postgres) as pg_url:
                if pg_url:
                    all_met &= run("leadbot, PostgreSQL", pg_url, batch(), args.rate, workdir)
    print(load_note())
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
