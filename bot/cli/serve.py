"""`leadbot serve`: run the Slack app, in Socket Mode or over HTTP."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading

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
    leadbot = build(settings)  # a broken rubric or missing channel stops here, clearly
    if settings.slack_app_token is not None:
        return _socket_mode(leadbot, settings.slack_app_token.get_secret_value())
    leadbot.database.engine.dispose()  # the server builds its own after forking
    if args.serve_worker is not None:
        settings = settings.model_copy(update={"serve_worker": args.serve_worker})
    return _http(settings, args.host, args.port or settings.port)


def require_slack(settings: Settings, *, serving: bool = True) -> None:
    if settings.slack_bot_token is None:
        raise UserError("set SLACK_BOT_TOKEN (the xoxb- token from OAuth & Permissions)")
    if serving and settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise UserError(
            "set SLACK_SIGNING_SECRET (Basic Information) for HTTP mode, "
            "or SLACK_APP_TOKEN (xapp-) for Socket Mode"
        )


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

    worker = WorkerProcess() if settings.serve_worker else None
    logger.info("serving Slack requests on http://%s:%s/slack/events", host, port)
    try:
        GunicornServer(
            lambda: build(settings),
            host=host,
            port=port,
            threads=settings.http_threads,
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
            if self._stopping.is_set() or code == 0:  # 0: it was told to stop (Ctrl-C)
                return
            logger.error("the worker process exited (%s); restarting it in %.0fs", code, backoff)
            if self._stopping.wait(backoff):
                return
            backoff = min(self.RESTART_MAX_SECONDS, backoff * 2)
            self.process = self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        """Let the worker finish what it runs (SIGTERM), then make sure it is gone."""
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
