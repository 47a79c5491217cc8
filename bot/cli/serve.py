"""`leadbot serve`: run the Slack app, in Socket Mode or over HTTP."""

from __future__ import annotations

import gc
import logging
import signal
import subprocess
import sys
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
    parser.add_argument(
        "--no-worker",
        dest="serve_worker",
        action="store_false",
        default=None,
        help="HTTP mode: do not start `leadbot worker` beside the web server (workers run "
        "elsewhere; same as LEADBOT_SERVE_WORKER=false)",
    )
    parser.set_defaults(handler=run)


def run(args, settings: Settings) -> int:
    require_slack(settings)
    leadbot = build(settings)  # a broken rubric, missing channel or bad token stops here
    log_routes(leadbot)
    if settings.slack_app_token is not None:
        return _socket_mode(leadbot, settings)
    leadbot.database.engine.dispose()  # the server builds its own after forking
    if args.serve_worker is not None:
        settings = settings.model_copy(update={"serve_worker": args.serve_worker})
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


def require_slack(settings: Settings, *, serving: bool = True) -> None:
    if settings.slack_bot_token is None:
        raise UserError("set SLACK_BOT_TOKEN (the xoxb- token from OAuth & Permissions)")
    if serving and settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise UserError(
            "set SLACK_SIGNING_SECRET (Basic Information) for HTTP mode, "
            "or SLACK_APP_TOKEN (xapp-) for Socket Mode"
        )


def build(settings: Settings):
    """The app, its objects then left out of the garbage collector's full passes: with all
    of Bolt, pydantic and SQLAlchemy loaded, one pass takes 200-300 ms and stops every
    thread, so each ack in flight (or a worker holding SQLite's write turn) would wait it."""
    from bot.bootstrap import create_app

    try:
        with _failures_reported_by_serve("slack_sdk.web"):
            leadbot = create_app(settings)
    except RubricError as exc:
        raise UserError(f"the rubric cannot be used:\n{exc}") from None
    except ConfigurationError as exc:
        raise UserError(str(exc)) from None
    except DeliveryError as exc:
        raise UserError(_slack_problem(exc.__cause__, "SLACK_BOT_TOKEN", settings)) from None
    gc.freeze()
    return leadbot


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

    worker = WorkerProcess() if settings.serve_worker else None
    logger.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    try:
        GunicornServer(
            lambda: build(settings),
            host=host,
            port=port,
            threads=settings.http_threads,
            read_timeout=settings.http_read_timeout_seconds,
            workers=settings.http_workers,
        ).run()
    finally:
        if worker is not None:
            worker.stop()
    return 0


class WorkerProcess:
    """`leadbot worker` beside the web server, restarted whenever it fails (it cannot start
    while the database is down, say), and ending with serve, even when serve is killed: it
    watches its parent."""

    RESTART_MAX_SECONDS = 30.0

    def __init__(self):
        self._stopping = threading.Event()
        self._replacing = threading.Lock()  # `stop` never misses a worker started meanwhile
        self.process = self._spawn()
        self._monitor = threading.Thread(target=self._keep_running, daemon=True)
        self._monitor.start()

    @staticmethod
    def _spawn() -> subprocess.Popen:
        command = "import sys; from bot.cli import main; sys.exit(main())"
        return subprocess.Popen([sys.executable, "-c", command, "worker", "--exit-with-parent"])

    def _keep_running(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            code = self.process.wait()
            if self._stopping.is_set():
                return
            # Whatever the code, only `stop` ends it: gunicorn's arbiter reaps every child
            # of this process (waitpid(-1)), so a worker that failed can read here as 0.
            logger.error("the worker process ended (%s); restarting it in %.0fs", code, backoff)
            if self._stopping.wait(backoff):
                return
            backoff = min(self.RESTART_MAX_SECONDS, backoff * 2)
            with self._replacing:
                if self._stopping.is_set():
                    return
                self.process = self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        """Let the worker finish what it runs (SIGTERM), then make sure it is gone."""
        with self._replacing:
            self._stopping.set()
            worker = self.process
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("the worker did not stop within %ss; killing it", timeout)
            worker.kill()
            worker.wait()
