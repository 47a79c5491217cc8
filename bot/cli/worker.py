"""`leadbot worker`: the durable worker as its own process. It qualifies and posts the
leads that `leadbot serve` processes stored; run any number of them on one database."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from bot.cli.serve import build, require_slack
from bot.settings import Settings

logger = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 1.0
# Beside `leadbot serve` on one machine, acks come first: the worker yields the CPU to them
# and catches up between requests. The lowest priority: at niceness 5 the worker still took
# a quarter of a busy CPU from the acks (ack p99 2.2-2.4x bare Bolt's, 1.7-2.2x at 19).
BESIDE_SERVE_NICENESS = 19


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the durable worker: qualify, post and update leads stored by `serve`",
        description="Run the durable worker on its own (LEADBOT_WORKER_THREADS threads): it "
        "takes work queued in the database by `leadbot serve` processes, here or on other "
        "machines, and stops on SIGTERM after finishing what it runs.",
    )
    # `leadbot serve` starts its worker with this: it stops when serve is gone, even killed.
    parser.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    require_slack(settings, serving=False)
    leadbot = build(settings)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    parent = os.getppid()
    if args.exit_with_parent:
        os.nice(BESIDE_SERVE_NICENESS)
    leadbot.start_worker()
    logger.info("leadbot worker running (%s threads)", settings.worker_threads)
    try:
        while not stopping.wait(PARENT_CHECK_SECONDS):
            if args.exit_with_parent and os.getppid() != parent:
                logger.warning("leadbot serve is gone; the worker stops too")
                break
    finally:
        leadbot.stop()
        logger.info("leadbot worker stopped")
    return 0
