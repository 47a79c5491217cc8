"""CPU per ack, in one process: leadbot's request path beside a bare Bolt app that only acks.

Wall time under gunicorn (benchmarks/ack_latency.py) is noisy on a shared machine; the CPU
one ack costs is not. Each app gets the same signed message events (harness.message_body,
signed as Slack signs them) through its WSGI app, called directly: leadbot's `wsgi_app`
(signature and shape checks, Bolt, the message listener, the lead, its event and its work
item stored and committed) and Bolt's own WSGI adapter for the bare app. Its worker is not
started: only the ack path is measured. Prints CPU ms per ack (time.process_time, every
thread of the process) for each, and their ratio.

    python benchmarks/ack_cpu.py [--events 2000] [--threads 1] [--repeat 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--profile N]

--threads N sends from N threads at once (leadbot's group commit then shares commits);
--profile N prints cProfile's top N functions of leadbot's path instead of timing it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from harness import (
    INTAKE,
    SIGNING_SECRET,
    FakeSlackAPI,
    bare_bolt_handler,
    load_note,
    message_body,
    postgres_if_reachable,
    slack_signature,
)

from bot.bootstrap import create_app
from bot.settings import Settings
from bot.slack.gateway import build_web_client
from bot.slack.web import wsgi_app
from bot.store.database import Database

WARMUP = 200


def environ_for(body: str) -> dict:
    """A WSGI environ of Slack POSTing `body`, signed now."""
    timestamp, signature = slack_signature(body)
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": signature,
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }


def call(application, environ: dict) -> str:
    statuses = []
    chunks = application(environ, lambda status, _headers: statuses.append(status))
    b"".join(chunks)
    return statuses[0]


def leadbot_app(fake: FakeSlackAPI, database_url: str):
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        LEADBOT_INTAKE_CHANNELS=INTAKE,
        LEADBOT_SALES_CHANNEL="CSALES",
        LEADBOT_DATABASE_URL=database_url,
        LEADBOT_MODEL="offline",
        LEADBOT_LOG_LEVEL="WARNING",
    )
    client = build_web_client("xoxb-bench", fake.url)
    return wsgi_app(create_app(settings, client=client, database=Database.from_url(database_url)))


def cpu_per_ack(application, numbers: list[int], threads: int) -> float:
    """CPU ms per ack of `application` over the events `numbers` (after a warm-up)."""
    environs = [environ_for(message_body(n)[0]) for n in numbers]
    warm, timed = environs[:WARMUP], environs[WARMUP:]
    for environ in warm:
        assert call(application, environ).startswith("200"), "warm-up not acked"
    started = time.process_time()
    if threads == 1:
        statuses = [call(application, environ) for environ in timed]
    else:
        with ThreadPoolExecutor(threads) as pool:
            statuses = list(pool.map(lambda environ: call(application, environ), timed))
    spent = time.process_time() - started
    refused = sum(1 for status in statuses if not status.startswith("200"))
    assert not refused, f"{refused} events not acked"
    return spent * 1000 / len(timed)


def profile(application, numbers: list[int], top: int) -> None:
    environs = [environ_for(message_body(n)[0]) for n in numbers]
    for environ in environs[:WARMUP]:
        call(application, environ)
    profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting
    profiler.enable()
    for environ in environs[WARMUP:]:
        call(application, environ)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="also leadbot on this PostgreSQL (a scratch schema)")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile's top N, no timing")
    parser.add_argument(
        "--only",
        choices=("bare", "leadbot"),
        help="one app alone (e.g. under valgrind --tool=callgrind, runs of N and 2N events)",
    )
    args = parser.parse_args()
    counter = itertools.count(1)
    batch = lambda: [next(counter) for _ in range(WARMUP + args.events)]  # noqa: E731
    print(f"{args.events} signed events from {args.threads} thread(s); {load_note()}")
    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as fake:
        apps = {}
        if args.only != "bare":
            apps["leadbot, SQLite"] = leadbot_app(fake, f"sqlite:///{Path(tmp) / 'ack.db'}")
        with postgres_if_reachable(args.postgres) if args.postgres else nullcontext() as pg_url:
            if pg_url and args.only != "bare":
                apps["leadbot, PostgreSQL"] = leadbot_app(fake, pg_url)
            if args.profile:
                for name, application in apps.items():
                    print(f"--- {name}")
                    profile(application, batch(), args.profile)
                return 0
            if args.only != "leadbot":
                apps = {"bare Bolt": bare_bolt_handler(), **apps}
            best = {name: float("inf") for name in apps}
            for _ in range(args.repeat):  # alternating, the least of each: the least disturbed
                for name, application in apps.items():
                    best[name] = min(best[name], cpu_per_ack(application, batch(), args.threads))
    floor = best.pop("bare Bolt", float("nan"))
    print(f"{'bare Bolt':<22} {floor:6.3f} ms CPU per ack")
    for name, spent in best.items():
        print(f"{name:<22} {spent:6.3f} ms CPU per ack = {spent / floor:.2f}x bare")
    print(load_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
