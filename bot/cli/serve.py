"""`leadbot serve`: run the Slack app, in Socket Mode or over HTTP."""

from __future__ import annotations

import logging

from bot.errors import ConfigurationError, UserError
from bot.services.gateway import DeliveryError
from bot.settings import Settings
from qualifiers.rubric import RubricError

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP)",
        description="Run the Slack app. With SLACK_APP_TOKEN set it connects over Socket Mode "
        "(no public URL needed); otherwise it serves Slack's requests on POST /slack/events "
        "and a health check on GET /healthz.",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default: PORT, else 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address (default: 0.0.0.0)")
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    if settings.slack_bot_token is None:
        raise UserError("set SLACK_BOT_TOKEN (the xoxb- token from OAuth & Permissions)")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise UserError(
            "set SLACK_SIGNING_SECRET (Basic Information) for HTTP mode, "
            "or SLACK_APP_TOKEN (xapp-) for Socket Mode"
        )
    leadbot = build(settings)  # a broken rubric or missing channel stops here, clearly
    if settings.slack_app_token is not None:
        return _socket_mode(leadbot, settings.slack_app_token.get_secret_value())
    leadbot.database.engine.dispose()  # the server builds its own after forking
    return _http(settings, args.host, args.port or settings.port)


def build(settings: Settings):
    from bot.bootstrap import create_app

    try:
        return create_app(settings)
    except RubricError as exc:
        raise UserError(f"the rubric cannot be used:\n{exc}") from None
    except ConfigurationError as exc:
        raise UserError(str(exc)) from None
    except DeliveryError as exc:
        raise UserError(f"Slack refused SLACK_BOT_TOKEN ({exc.error})") from None


def _socket_mode(leadbot, app_token: str) -> int:
    leadbot.start_worker()
    logger.info("connecting to Slack over Socket Mode")
    try:
        socket_mode_handler(leadbot, app_token).start()
    finally:
        leadbot.stop()
    return 0


def socket_mode_handler(leadbot, app_token: str):
    """Bolt's built-in Socket Mode handler for `leadbot`. `serve` calls `start()`, which
    connects and blocks for good; tests call `connect()` and `close()` instead."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(leadbot.bolt, app_token)


def _http(settings: Settings, host: str, port: int) -> int:
    from bot.slack.web import GunicornServer

    logger.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    GunicornServer(
        lambda: build(settings),
        host=host,
        port=port,
        threads=settings.http_threads,
        read_timeout=settings.http_read_timeout_seconds,
    ).run()
    return 0
