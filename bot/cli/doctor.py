"""`leadbot doctor`: check the set-up and say what to fix, one line per check."""

from __future__ import annotations

from bot.doctor import run_checks, settings_problems_check
from bot.settings import Settings
from bot.setup_checks import Check, exit_code


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check settings, rubric, database, Slack and model; say what to fix",
        description="Checks each part of the set-up the way leadbot uses it: settings, the "
        "rubric and its routing, the database, the bot token and its scopes, each intake and "
        "sales channel, the app token, and the model (one tiny call unless offline). Prints "
        "one line per check, ok / warning / error with a fix. Writes nothing. Exit code 0 all "
        "ok, 1 warnings, 2 errors.",
    )
    parser.set_defaults(handler=run, on_bad_settings=run_without_settings)


def run(args, settings: Settings) -> int:
    return report(run_checks(settings))


def run_without_settings(problems: list[str]) -> int:
    """Settings that do not parse are the first thing to fix; nothing else can be checked."""
    return report([settings_problems_check(problems)])


def report(checks: list[Check]) -> int:
    for check in checks:
        print(check.line())
    return exit_code(checks)
