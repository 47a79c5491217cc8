"""`leadbot serve`: run the Slack app, in Socket Mode or over HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import ConfigurationError, UserError
from bot.services.gateway import DeliveryError
from bot.settings import Settings
from bot.setup_checks import Status, intake_check, routing, slack_refusal, slack_unreachable
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
    leadbot = build(settings)  # a broken rubric, missing channel or bad token stops here
    log_routes(leadbot)
    if settings.slack_app_token is not None:
        return _socket_mode(leadbot, settings)
    leadbot.database.engine.dispose()  # the server builds its own after forking
    return _http(settings, args.host, args.port or settings.port)


@contextmanager
def _failures_reported_by_serve(*names: str) -> Iterator[None]:
    """While `serve` checks Slack at start it reports a failure as one line; slack_sdk and
    Bolt would also log each attempt of it at ERROR. Kept with --verbose (debug)."""
    loggers = [logging.getLogger(name) for name in names]
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        yield
        return
    levels = [each.level for each in loggers]
    for each in loggers:
        each.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.setLevel(level)


def build(settings: Settings):
    from bot.bootstrap import create_app

    try:
        with _failures_reported_by_serve("slack_sdk.web"):
            return create_app(settings)
    except RubricError as exc:
        raise UserError(f"the rubric cannot be used:\n{exc}") from None
    except ConfigurationError as exc:
        raise UserError(str(exc)) from None
    except DeliveryError as exc:
        raise UserError(_slack_problem(exc.__cause__, "SLACK_BOT_TOKEN", settings)) from None


def _slack_problem(cause: BaseException | None, token: str, settings: Settings) -> str:
    """One line for a start refused by Slack (`cause` a SlackApiError) or not reaching it."""
    if isinstance(cause, SlackApiError):
        code = cause.response.get("error") or f"HTTP {cause.response.status_code}"
        check = slack_refusal(token, code)
    else:
        check = slack_unreachable(settings.slack_api_url, f"{type(cause).__name__}: {cause}")
    return f"{check.message}: {check.fix}"


def log_routes(leadbot) -> None:
    """Say at start where leads come from and where their summaries go."""
    settings = leadbot.services.settings
    intake = intake_check(settings.intake_channel_ids)
    if intake.status is Status.OK:
        logger.info("intake: %s", intake.message)
    else:
        logger.warning("intake: %s; %s", intake.message, intake.fix)
    routes = routing(leadbot.services.rubrics.get(), settings.sales_channel)
    for channel, tiers in routes.items():
        logger.info("posting %s leads to %s", ", ".join(tiers), channel)


def _socket_mode(leadbot, settings: Settings) -> int:
    handler = socket_mode_handler(leadbot, settings.slack_app_token.get_secret_value())
    logger.info("connecting to Slack over Socket Mode")
    try:
        with _failures_reported_by_serve("slack_sdk", "slack_bolt.App"):
            handler.connect()
    except (SlackClientError, OSError) as exc:  # SlackApiError included; URLError is an OSError
        raise UserError(_slack_problem(exc, "SLACK_APP_TOKEN", settings)) from None
    leadbot.start_worker()
    try:
        threading.Event().wait()  # as SocketModeHandler.start(): serve until interrupted
    finally:
        handler.close()
        leadbot.stop()
    return 0


def socket_mode_handler(leadbot, app_token: str):
    """Bolt's built-in Socket Mode handler for `leadbot`; `serve` and the tests call
    `connect()` and `close()`."""
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
