"""`leadbot demo` (placeholder until its issue lands)."""

from bot.errors import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="not available yet")
    parser.set_defaults(handler=run)


def run(args, settings) -> int:
    raise UserError("'demo' is not available yet")
