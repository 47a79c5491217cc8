"""`leadbot` command line: one module per command, each with `register(subparsers)`.

A command line that names its command imports that command's module only: `leadbot
qualify` never pays for Slack, the web server or the back-test's imports. Without one
(`leadbot --help`, a typo) every command is registered, so the usage lists them all."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or only for `command` (one of COMMANDS)."""
    parser = argparse.ArgumentParser(
        prog="leadbot", description="Qualify inbound sales leads against a rubric."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    parser.add_argument("--version", action="version", version=f"leadbot {version('leadbot')}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (command,) if command in COMMANDS else COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(subparsers)
    return parser


def command_named(argv: list[str]) -> str | None:
    """The command word of a command line: the first argument that is not an option (the
    top-level options take no value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_named(argv)).parse_args(argv)
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
        # Alembic reports every schema check at INFO; only a migration problem is news.
        logging.getLogger("alembic").setLevel(logging.WARNING)
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


if __name__ == "__main__":
    sys.exit(main())
