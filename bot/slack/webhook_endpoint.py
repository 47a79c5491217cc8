"""`POST /webhooks/lead`: web forms and other systems send leads over HTTP.

The caller proves itself by signing the body with LEADBOT_WEBHOOK_SECRET the way leadbot
signs its own events (`X-Leadbot-Request-Timestamp`, `X-Leadbot-Signature`, see
`bot.crm.signing`), or with `Authorization: Bearer <LEADBOT_WEBHOOK_SECRET>`, compared in
constant time; without that setting the endpoint does not exist (404). The lead's `id`, else
an `Idempotency-Key` header, makes a retry the same lead; the same key with other content is
a 409, nothing stored. A body over
LEADBOT_WEBHOOK_MAX_BYTES is refused unread (413); each source (the form's `source` name,
else the client's address) may send LEADBOT_WEBHOOK_RATE_LIMIT leads a minute, then gets
429 with Retry-After. The body is read and parsed by `bot.intake.webhook`; the lead is
stored and its processing queued (`ReceiveService.receive`) before the 202 answer; from
there it is qualified and posted like a lead dropped in Slack. A request that is refused
stores nothing.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from bot.crm.signing import MAX_AGE_SECONDS, verify
from bot.intake.webhook import InvalidLead, idempotency_key, parse_lead_request
from bot.services.receive import ReceiveService
from bot.slack.http_limits import RequestRefused, content_type, read_body

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/lead"
MAX_TRACKED_SOURCES = 10_000


@dataclass
class WebhookResponse:
    status: int
    body: dict
    headers: list[tuple[str, str]] = field(default_factory=list)


class RateLimiter:
    """A token bucket per source: `per_minute` requests a minute, as a burst or spread out.
    Shared by the server's threads (one process serves HTTP, see bot.slack.web); the
    least recently seen sources are forgotten past MAX_TRACKED_SOURCES."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, source: str) -> int:
        """0 when the request may go ahead (and it is counted), else whole seconds to wait."""
        with self._lock:
            now = self.clock()
            tokens, seen = self._buckets.pop(source, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - seen) * self.per_second)
            wait = 0 if tokens >= 1 else math.ceil((1 - tokens) / self.per_second)
            self._buckets[source] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > MAX_TRACKED_SOURCES:
                self._buckets.popitem(last=False)
            return wait


class LeadWebhook:
    def __init__(
        self,
        receive: ReceiveService,
        secret: SecretStr | None,
        *,
        max_bytes: int,
        rate_per_minute: int,
    ):
        self.receive = receive
        self.secret = secret.get_secret_value().encode() if secret else None
        self.max_bytes = max_bytes
        self.limiter = RateLimiter(rate_per_minute)

    def handle(self, environ: dict) -> WebhookResponse:
        """Answer one WSGI request to WEBHOOK_PATH."""
        if self.secret is None:
            return _error(404, "not_found", "set LEADBOT_WEBHOOK_SECRET to enable this endpoint")
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(405, "method_not_allowed", "expected POST", [("Allow", "POST")])
        timestamp = environ.get("HTTP_X_LEADBOT_REQUEST_TIMESTAMP")
        signed = environ.get("HTTP_X_LEADBOT_SIGNATURE")
        if signed is None and not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _unauthorized()
        if signed is not None and not fresh(timestamp):
            return _unauthorized("the request timestamp is missing or over 5 minutes old")
        if content_type({"content-type": environ.get("CONTENT_TYPE")}) != "application/json":
            return _error(415, "unsupported_content_type", "expected application/json")
        try:
            raw = read_body(environ, self.max_bytes)
        except RequestRefused as refused:
            return _error(refused.status, refused.error, refused.detail)
        if signed is not None and not verify(self.secret.decode(), timestamp, signed, raw):
            return _unauthorized("the signature does not match the body")
        try:
            body = parse_lead_request(raw)
            key = idempotency_key(environ.get("HTTP_IDEMPOTENCY_KEY"))
        except InvalidLead as exc:
            return _error(400, "invalid_lead", str(exc))
        source = f"source:{body.source}" if body.source else f"address:{environ.get('REMOTE_ADDR')}"
        wait = self.limiter.wait_seconds(source)
        if wait:
            return _error(
                429,
                "rate_limited",
                f"at most {self.limiter.capacity:g} leads a minute from one source; "
                f"send again in {wait} s",
                [("Retry-After", str(wait))],
            )
        lead = body.lead(received_at=datetime.now(UTC))
        try:
            submission = self.receive.receive_submission(
                lead, dedupe_key=body.dedupe_key(lead, key)
            )
        except SQLAlchemyError:
            logger.exception("webhook lead not stored")
            return _error(503, "unavailable", "the lead could not be stored; send it again")
        if submission.conflict:
            which = "id" if body.id is not None else "Idempotency-Key"
            return WebhookResponse(
                409,
                {
                    "error": "conflict",
                    "detail": f"this {which} was sent before with other content; "
                    "send a new lead under a new one",
                    "lead_id": submission.lead.id,
                },
            )
        return WebhookResponse(
            202,
            {
                "lead_id": submission.lead.id,
                "duplicate": not submission.created and not submission.merged,
                "merged": submission.merged,
            },
        )

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.secret or b""
        )


def fresh(timestamp: str | None) -> bool:
    """A Unix timestamp within MAX_AGE_SECONDS of now (checked before the body is read)."""
    return bool(timestamp and timestamp.isdigit()) and (
        abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS
    )


def _unauthorized(reason: str | None = None) -> WebhookResponse:
    detail = (
        "expected the body signed with LEADBOT_WEBHOOK_SECRET (X-Leadbot-Request-Timestamp, "
        "X-Leadbot-Signature) or the header Authorization: Bearer <LEADBOT_WEBHOOK_SECRET>"
    )
    return _error(
        401,
        "unauthorized",
        f"{reason}; {detail}" if reason else detail,
        [("WWW-Authenticate", "Bearer")],
    )


def _error(
    status: int, error: str, detail: str, headers: list[tuple[str, str]] | None = None
) -> WebhookResponse:
    return WebhookResponse(status, {"error": error, "detail": detail}, headers or [])


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
