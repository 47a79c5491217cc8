"""`leadbot serve` (placeholder until its issue lands)."""

from bot.errors import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="not available yet")
    parser.set_defaults(handler=run)


def run(args, settings) -> int:
    raise UserError("'serve' is not available yet")
