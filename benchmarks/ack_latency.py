"""Ack latency of `leadbot serve` beside a bare Bolt app, in one run.

The bare app is the floor: one listener that only acks, under the same gunicorn settings
(bot.slack.web.GunicornServer with leadbot's default LEADBOT_HTTP_WORKERS and
LEADBOT_HTTP_THREADS, or --workers/--threads for both). Each server gets 1,000 signed
message events at concurrency 20 (after 50 to warm up); leadbot stores each lead and its
work item before it answers, with its worker running beside it (`leadbot serve` starts it)
on SQLite, and on PostgreSQL when it is reachable. The worker posts at full speed (the
Slack stand-in has no rate limit and leadbot's channel pacing is raised out of the way), so
it competes with the acks as hard as it can; every lead must then be posted once. Prints
p50/p95/p99/max per server, each p99 over the bare app's, and whether p99 < 100 ms and
p99 <= 1.5x the bare app's.

    python benchmarks/ack_latency.py [--events 1000] [--concurrency 20]
        [--workers N] [--threads N]
        [--postgres postgresql://127.0.0.1:5432/test | --no-postgres]

The bare app is also `python benchmarks/ack_latency.py --bare-server PORT` (what the
benchmark starts).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

from harness import (
    DEFAULT_POSTGRES,
    UNPACED,
    FakeSlackAPI,
    bare_bolt_handler,
    free_port,
    kill9,
    leadbot_env,
    load_note,
    percentile,
    postgres_if_reachable,
    send_leads,
    start,
    start_serve,
    stop,
    summaries_per_lead,
    verdict,
    wait_ready,
    wait_until,
)

from bot.settings import Settings

TARGET_P99_SECONDS = 0.100
TARGET_RATIO = 1.5
WARMUP = 50
READ_TIMEOUT_SECONDS = 10.0


def bare_server(port: int, workers: int, threads: int) -> None:
    """The floor: Bolt with one listener that only acks, served like leadbot."""
    from bot.slack.web import GunicornServer

    class BareServer(GunicornServer):
        def load(self):
            handler = bare_bolt_handler()

            def application(environ, start_response):
                if environ.get("PATH_INFO") == "/healthz":
                    start_response("200 OK", [("Content-Type", "application/json")])
                    return [b'{"ok": true}']
                return handler(environ, start_response)

            return application

    BareServer(
        lambda: None,
        host="127.0.0.1",
        port=port,
        threads=threads,
        workers=workers,
        read_timeout=READ_TIMEOUT_SECONDS,
    ).run()


def measure(name: str, url: str, numbers, concurrency: int) -> dict:
    numbers = list(numbers)
    send_leads(url, numbers[:WARMUP], concurrency)
    results = send_leads(url, numbers[WARMUP:], concurrency)
    seconds = [s for status, s in results if status == 200]
    failed = len(results) - len(seconds)
    figures = {
        "name": name,
        "p50": percentile(seconds, 0.5),
        "p95": percentile(seconds, 0.95),
        "p99": percentile(seconds, 0.99),
        "max": max(seconds, default=float("nan")),
        "failed": failed,
        "over_3s": sum(1 for s in seconds if s > 3),
    }
    print(
        f"{name:<22} p50 {figures['p50'] * 1000:6.1f} ms  p95 {figures['p95'] * 1000:6.1f} ms  "
        f"p99 {figures['p99'] * 1000:6.1f} ms  max {figures['max'] * 1000:7.1f} ms  "
        f"non-200 {failed}  over 3 s {figures['over_3s']}",
        flush=True,
    )
    return figures


def run_leadbot(name, database_url, fake, workdir: Path, numbers, concurrency, gunicorn):
    port = free_port()
    # The worker posts as fast as it can (UNPACED): pacing at Slack's 1/s would leave it idle
    # (and the acks alone) for most of the run, and take 17 minutes to post 1,050 summaries.
    env = leadbot_env(fake.url, database_url, **gunicorn, **UNPACED)
    process = start_serve(env, port, workdir / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        figures = measure(name, url, numbers, concurrency)
        expected = len(numbers)
        posted = wait_until(
            lambda: (
                len(summaries_per_lead(fake)) >= expected - figures["failed"]
                and summaries_per_lead(fake)
            ),
            300,
            f"{name}: summaries",
            interval=0.5,
        )
        doubled = sum(1 for count in posted.values() if count > 1)
        print(f"{'':<22} then posted {len(posted)} summaries, {doubled} doubled", flush=True)
        return figures
    finally:
        stop(process)
        fake.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    shipped = Settings.model_fields
    parser.add_argument(
        "--workers",
        type=int,
        default=shipped["http_workers"].default,
        help="gunicorn worker processes, both apps (default: leadbot's LEADBOT_HTTP_WORKERS)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=shipped["http_threads"].default,
        help="gunicorn threads per worker, both apps (default: leadbot's LEADBOT_HTTP_THREADS)",
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server, args.workers, args.threads)
        return 0

    gunicorn = {
        "LEADBOT_HTTP_WORKERS": str(args.workers),
        "LEADBOT_HTTP_THREADS": str(args.threads),
        "LEADBOT_HTTP_READ_TIMEOUT": str(READ_TIMEOUT_SECONDS),
    }
    print(
        f"{args.events} signed events at concurrency {args.concurrency}; gunicorn "
        f"{args.workers} worker(s) x {args.threads} threads; {load_note()}"
    )
    counter = itertools.count(1)
    batch = lambda: [next(counter) for _ in range(WARMUP + args.events)]  # noqa: E731
    results = []
    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as fake:
        workdir = Path(tmp)
        port = free_port()
        bare = start(
            [
                *(sys.executable, __file__, "--bare-server", str(port)),
                *("--workers", str(args.workers), "--threads", str(args.threads)),
            ],
            leadbot_env(fake.url, "sqlite://"),
            workdir / "bare.log",
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            floor = measure("bare Bolt", f"http://127.0.0.1:{port}", batch(), args.concurrency)
        finally:
            kill9(bare)
        sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
        results.append(
            run_leadbot(
                "leadbot, SQLite",
                sqlite_url,
                fake,
                workdir,
                batch(),
                args.concurrency,
                gunicorn,
            )
        )
        if not args.no_postgres:
            with postgres_if_reachable(args.postgres) as pg_url:
                if pg_url:
                    results.append(
                        run_leadbot(
                            "leadbot, PostgreSQL",
                            pg_url,
                            fake,
                            workdir,
                            batch(),
                            args.concurrency,
                            gunicorn,
                        )
                    )
    print(f"bare Bolt floor: p99 {floor['p99'] * 1000:.1f} ms")
    all_met = True
    for figures in results:
        ratio = figures["p99"] / floor["p99"]
        met = (
            figures["p99"] < TARGET_P99_SECONDS and ratio <= TARGET_RATIO and not figures["failed"]
        )
        all_met &= met
        print(
            f"{figures['name']}: p99 {figures['p99'] * 1000:.1f} ms = {ratio:.2f}x bare "
            f"(target p99 < {TARGET_P99_SECONDS * 1000:.0f} ms and <= {TARGET_RATIO}x): "
            f"{verdict(met)}"
        )
    print(load_note())
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
