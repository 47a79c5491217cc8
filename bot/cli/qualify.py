"""`leadbot qualify` (placeholder until its issue lands)."""

from bot.errors import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser("qualify", help="not available yet")
    parser.set_defaults(handler=run)


def run(args, settings) -> int:
    raise UserError("'qualify' is not available yet")
