"""HTTP mode: a WSGI app with Bolt's `/slack/events`, `/healthz` and the web-form webhook
(bot/slack/webhook_endpoint.py), served by gunicorn.

Requests are checked before Bolt sees them (bot/slack/http_limits.py): Slack's signature
headers before the body is read, the body's size from its Content-Length (or as a chunked
body is read), then its signature, encoding and shape. Each refusal is a 4xx with a one-line
reason, and none reaches a listener, so none stores anything. `BoundedThreadWorker` gives
each request a read deadline, so a slow client holds a thread for a bounded time.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import LeadbotApp
from bot.logs import mask_handlers_of
from bot.slack.http_limits import (
    SLACK_MAX_BODY_BYTES,
    RequestRefused,
    check_slack_content_type,
    check_slack_headers,
    content_type,
    read_body,
)
from bot.slack.webhook_endpoint import WEBHOOK_PATH, LeadWebhook, status_line

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class VerifiedSlackRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, refusing what is not a well-formed signed Slack request (headers
    first, then the body's size, signature and shape) with one clear line, before Bolt."""

    def __init__(self, leadbot: LeadbotApp):
        super().__init__(leadbot.bolt, path=EVENTS_PATH)
        secret = leadbot.services.settings.slack_signing_secret
        self.verifier = SignatureVerifier(secret.get_secret_value() if secret else "")

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        headers = request.get_headers()
        try:
            body = self._verified_body(request.environ, headers)
        except RequestRefused as refused:
            logger.info("refused a Slack request: %s", refused)
            return _json(refused.status, {"error": refused.error, "detail": refused.detail})
        return self.app.dispatch(
            BoltRequest(body=body, query=request.query_string, headers=headers)
        )

    def _verified_body(self, environ: dict, headers: dict) -> str:
        check_slack_headers(headers)
        check_slack_content_type(headers)
        raw = read_body(environ, SLACK_MAX_BODY_BYTES)
        try:
            body = raw.decode()
        except UnicodeDecodeError:
            raise RequestRefused(400, "malformed_payload", "expected UTF-8") from None
        if not self.verifier.is_valid_request(body, headers):
            raise RequestRefused(401, "invalid_signature", "the signature does not match")
        try:
            payload = parse_body(body, content_type(headers))
        except ValueError:  # json.JSONDecodeError, including inside `payload=`
            raise RequestRefused(400, "malformed_payload", "expected Slack JSON") from None
        except RecursionError:
            raise RequestRefused(400, "malformed_payload", "JSON nested too deeply") from None
        problem = payload_problem(payload)
        if problem:
            raise RequestRefused(400, "malformed_payload", problem)
        return body


def payload_problem(payload: object) -> str | None:
    """What is missing from a payload that Bolt would otherwise index into and crash on."""
    if not isinstance(payload, dict) or not payload:
        return "expected a JSON object"
    kind = payload.get("type")
    if kind is not None and not isinstance(kind, str):
        return "expected `type` to be text"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return "expected a block_actions payload with at least one action"
        if not all(isinstance(action, dict) and action.get("action_id") for action in actions):
            return "expected every action to have an `action_id`"
    if kind in {"view_submission", "view_closed"}:
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return f"expected a {kind} payload with a `view` that has a `type`"
        if not isinstance(view.get("callback_id"), str):
            return f"expected a {kind} payload with a `view` that has a `callback_id`"
    if kind == "event_callback" and not isinstance(payload.get("event"), dict):
        return "expected an event_callback payload with an `event` object"
    return None


def _json(status: int, body: dict) -> BoltResponse:
    return BoltResponse(status=status, body=json.dumps(body), headers=_JSON_HEADERS)


_JSON_HEADERS = {"content-type": "application/json", "x-slack-no-retry": "1"}

StartResponse = Callable[[str, list[tuple[str, str]]], object]


def wsgi_app(leadbot: LeadbotApp) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    slack = VerifiedSlackRequestHandler(leadbot)
    settings = leadbot.services.settings
    webhook = LeadWebhook(
        leadbot.services.receive,
        settings.webhook_secret,
        max_bytes=settings.webhook_max_bytes,
        rate_per_minute=settings.webhook_rate_per_minute,
    )

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            healthy, body = leadbot.health()
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json_reply(start_response, status, body)
        if environ.get("PATH_INFO") == WEBHOOK_PATH:
            answer = webhook.handle(environ)
            return _json_reply(
                start_response, status_line(answer.status), answer.body, answer.headers
            )
        return slack(environ, start_response)

    return application


def _json_reply(
    start_response: StartResponse,
    status: str,
    body: dict,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *(headers or []),
        ],
    )
    return [data]


class DeadlineSocket:
    """A connection's socket whose reads stop at a deadline: `read_timeout` seconds after
    the first byte of a request is awaited, a read returns end-of-data. gunicorn then drops
    a client still sending headers, and the app answers 408 to one still sending its body,
    so a slow client holds a thread for `read_timeout` seconds at most."""

    def __init__(self, sock: socket.socket, read_timeout: float):
        self._sock = sock
        self.read_timeout = read_timeout
        self.deadline: float | None = None
        self.expired = False

    def start_request(self) -> None:
        self.deadline = None

    def recv(self, size: int, *flags) -> bytes:
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.read_timeout
        remaining = self.deadline - now
        if remaining <= 0:
            self.expired = True
            return b""
        prior = self._sock.gettimeout()
        self._sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            self.expired = True
            return b""
        finally:
            self._sock.settimeout(prior)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class BoundedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker, with a read deadline on every request (`DeadlineSocket`).
    gunicorn already keeps a connection that sends nothing off the threads; this bounds one
    that sends slowly. A connection whose deadline ran out is closed, not kept alive."""

    read_timeout = 10.0

    def handle(self, conn):
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock, self.read_timeout)
        conn.sock.start_request()
        keepalive = super().handle(conn)
        return False if conn.sock.expired else keepalive


def bounded_worker(read_timeout: float) -> type[BoundedThreadWorker]:
    return type("BoundedThreadWorker", (BoundedThreadWorker,), {"read_timeout": read_timeout})


class GunicornServer(BaseApplication):
    """gunicorn in-process: `workers` web processes with many threads each, the app built in
    each after the fork. The durable worker is not in them: `leadbot serve` runs it as its own
    process beside them (or it runs elsewhere), so acks never share a GIL with posting.
    Requests are bounded: a request line of 4094 bytes, 100 header fields of 8190 bytes,
    `read_timeout` seconds to send a request, bodies checked by the app (bot.slack.http_limits)."""

    def __init__(
        self,
        build: Callable[[], LeadbotApp],
        *,
        host: str,
        port: int,
        threads: int,
        read_timeout: float,
        workers: int = 1,
    ):
        self.build = build
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": bounded_worker(read_timeout),
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "backlog": 256,
            "limit_request_line": 4094,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
            "accesslog": None,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        mask_handlers_of("gunicorn.error")
        leadbot = self.build()
        logger.info("leadbot ready on %s", self.options["bind"])
        return wsgi_app(leadbot)
