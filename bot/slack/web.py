"""HTTP mode: a WSGI app with Bolt's `/slack/events`, `/healthz` and the web-form webhook
(bot/webhook.py), served by gunicorn.

Requests are checked before Bolt sees them: a bad signature gets 401 and a body that is not
a Slack payload gets 400, and neither reaches a listener, so neither stores anything.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from gunicorn.app.base import BaseApplication
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import LeadbotApp
from bot.slack.webhook_endpoint import WEBHOOK_PATH, LeadWebhook, status_line

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class VerifiedSlackRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, refusing unsigned and unparseable requests with clear errors."""

    def __init__(self, leadbot: LeadbotApp):
        super().__init__(leadbot.bolt, path=EVENTS_PATH)
        secret = leadbot.services.settings.slack_signing_secret
        self.verifier = SignatureVerifier(secret.get_secret_value() if secret else "")

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            body = request.get_body()
        except UnicodeDecodeError:
            return _json(400, {"error": "malformed_payload", "detail": "expected UTF-8"})
        headers = request.get_headers()
        if not self.verifier.is_valid_request(body, headers):
            return _json(401, {"error": "invalid_signature"})
        content_type = str(headers.get("content-type") or "").split(";")[0].strip()
        try:
            payload = parse_body(body, content_type)
        except ValueError:  # json.JSONDecodeError, including inside `payload=`
            return _json(400, {"error": "malformed_payload", "detail": "expected Slack JSON"})
        if not isinstance(payload, dict) or not payload:
            return _json(400, {"error": "malformed_payload", "detail": "expected a JSON object"})
        return self.app.dispatch(
            BoltRequest(body=body, query=request.query_string, headers=headers)
        )


def _json(status: int, body: dict) -> BoltResponse:
    return BoltResponse(status=status, body=json.dumps(body), headers=_JSON_HEADERS)


_JSON_HEADERS = {"content-type": "application/json", "x-slack-no-retry": "1"}

StartResponse = Callable[[str, list[tuple[str, str]]], object]


def wsgi_app(leadbot: LeadbotApp) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    slack = VerifiedSlackRequestHandler(leadbot)
    webhook = LeadWebhook(leadbot.services.receive, leadbot.services.settings.webhook_secret)

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


class GunicornServer(BaseApplication):
    """gunicorn in-process: `workers` web processes with many threads each, the app built in
    each after the fork. The durable worker is not in them: `leadbot serve` runs it as its own
    process beside them (or it runs elsewhere), so acks never share a GIL with posting."""

    def __init__(
        self,
        build: Callable[[], LeadbotApp],
        *,
        host: str,
        port: int,
        threads: int,
        workers: int = 1,
    ):
        self.build = build
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "backlog": 256,
            "accesslog": None,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        leadbot = self.build()
        logger.info("leadbot ready on %s", self.options["bind"])
        return wsgi_app(leadbot)
