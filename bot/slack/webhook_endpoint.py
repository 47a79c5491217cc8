"""`POST /webhooks/lead`: web forms and other systems send leads over HTTP.

The caller proves itself with `Authorization: Bearer <LEADBOT_WEBHOOK_SECRET>`, compared
in constant time; without that setting the endpoint does not exist (404). The body is read
and parsed by `bot.intake.webhook`; the lead is stored and its processing queued
(`ReceiveService.receive`) before the 202 answer; from there it is qualified and posted like
a lead dropped in Slack. A request that is refused stores nothing.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from http import HTTPStatus

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from bot.intake.files import MAX_LEAD_BYTES
from bot.intake.webhook import InvalidLead, parse_lead_request
from bot.services.receive import ReceiveService

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/lead"
MAX_BODY_BYTES = MAX_LEAD_BYTES


@dataclass
class WebhookResponse:
    status: int
    body: dict
    headers: list[tuple[str, str]] = field(default_factory=list)


class LeadWebhook:
    def __init__(self, receive: ReceiveService, secret: SecretStr | None):
        self.receive = receive
        self.secret = secret.get_secret_value().encode() if secret else None

    def handle(self, environ: dict) -> WebhookResponse:
        """Answer one WSGI request to WEBHOOK_PATH."""
        if self.secret is None:
            return _error(404, "not_found", "set LEADBOT_WEBHOOK_SECRET to enable this endpoint")
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(405, "method_not_allowed", "expected POST", [("Allow", "POST")])
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _error(
                401,
                "unauthorized",
                "expected the header Authorization: Bearer <LEADBOT_WEBHOOK_SECRET>",
                [("WWW-Authenticate", "Bearer")],
            )
        raw = _read_body(environ)
        if raw is None:
            return _error(413, "too_large", f"expected at most {MAX_BODY_BYTES:,} bytes")
        try:
            body = parse_lead_request(raw)
        except InvalidLead as exc:
            return _error(400, "invalid_lead", str(exc))
        lead = body.lead()
        try:
            stored, created = self.receive.receive(lead, dedupe_key=body.dedupe_key(lead))
        except SQLAlchemyError:
            logger.exception("webhook lead not stored")
            return _error(503, "unavailable", "the lead could not be stored; send it again")
        return WebhookResponse(202, {"lead_id": stored.id, "duplicate": not created})

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.secret or b""
        )


def _read_body(environ: dict) -> bytes | None:
    """The body, or None when it is over the limit: refused unread when its Content-Length
    says so, else (chunked) read no further than the limit."""
    stream = environ["wsgi.input"]
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isdigit():
        return stream.read(int(length)) if int(length) <= MAX_BODY_BYTES else None
    if "chunked" not in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return b""  # no length and not chunked: no body (reading would wait for one)
    raw = stream.read(MAX_BODY_BYTES + 1)
    return raw if len(raw) <= MAX_BODY_BYTES else None


def _error(
    status: int, error: str, detail: str, headers: list[tuple[str, str]] | None = None
) -> WebhookResponse:
    return WebhookResponse(status, {"error": error, "detail": detail}, headers or [])


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
