"""`leadbot` command line: one module per command, each with `register(subparsers)`.

A command line that names its command imports that command's module only: `leadbot
qualify` never pays for Slack, the web server or the back-test's imports. Without one
(`leadbot --help`, a typo) every command is registered, so the usage lists them all."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

from pydantic import ValidationError

from bot.errors import UserError
from bot.logs import configure_logging
from bot.settings import Settings

COMMANDS = (
    "qualify",
    "demo",
    "rubric",
    "backtest",
    "serve",
    "worker",
    "stats",
    "outcomes",
    "export",
    "manifest",
    "doctor",
)


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The parser for these commands (default: all of them)."""
    parser = argparse.ArgumentParser(
        prog="leadbot", description="Qualify inbound sales leads against a rubric."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    parser.add_argument("--version", action="version", version=f"leadbot {version('leadbot')}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in commands:
        importlib.import_module(f"bot.cli.{name}").register(subparsers)
    return parser


def commands_needed(argv: list[str]) -> Sequence[str]:
    """The commands a command line needs parsed: the one it names (its first argument that
    is not an option; the top-level options take no value), none for `--version` alone,
    else all of them, for the usage message."""
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    if named in COMMANDS:
        return (named,)
    return () if named is None and "--version" in argv else COMMANDS


def main(argv: list[str] | None = None) -> int:
    """`leadbot`; with no `argv` it runs as the program, on sys.argv, and its process ends
    next: everything it holds is then frozen out of the collector's way, so the passes at
    interpreter shutdown do not walk it again (1.4 s once LangChain and the OpenAI client
    are loaded; 0.1 s frozen)."""
    if argv is not None:
        return run(argv)
    try:
        return run(sys.argv[1:])
    finally:
        gc.freeze()


def run(argv: list[str]) -> int:
    args = build_parser(commands_needed(argv)).parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        if on_bad_settings := getattr(args, "on_bad_settings", None):
            return on_bad_settings(problems)
        for problem in problems:
            print(f"leadbot: setting {problem}", file=sys.stderr)
        return 2
    configure_logging(
        logging.DEBUG if args.verbose else settings.log_level.upper(),
        pii=settings.redact_pii,
        phone_regions=settings.phone_regions,
    )
    if not args.verbose:
        # Alembic reports every schema check at INFO, the OpenAI client's HTTP library every
        # request: only their problems are news.
        for noisy in ("alembic", "httpx", "httpx2"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.handler(args, settings) or 0
    except UserError as exc:
        print(f"leadbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early; keep Python from complaining at exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        # A full disk, a vanished file, a closed socket: the system's own words say what
        # happened; the traceback helps only with --verbose.
        logging.getLogger(__name__).debug("command failed", exc_info=True)
        print(f"leadbot: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
