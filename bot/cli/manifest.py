"""`leadbot manifest [--socket-mode | --url https://host]`: the Slack app manifest to create
the app from, with the request URLs filled in."""

from __future__ import annotations

import sys

from bot.manifest import manifest_text
from bot.settings import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "manifest",
        help="print the Slack app manifest (Socket Mode, or HTTP with your URL filled in)",
        description="Print the app manifest to paste into https://api.slack.com/apps > Create "
        "New App > From a manifest. --url fills the four request URLs (slash commands, "
        "events, interactivity) with https://HOST/slack/events; --socket-mode (the default) "
        "needs no public URL.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket-mode", action="store_true", help="Socket Mode: no public URL (default)"
    )
    mode.add_argument("--url", metavar="https://HOST", help="HTTP mode: your server's URL")
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    sys.stdout.write(manifest_text(socket_mode=args.url is None, url=args.url))
    return 0
