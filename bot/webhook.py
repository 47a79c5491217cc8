"""`POST /webhooks/lead`: web forms and other systems send leads over HTTP.

The caller proves itself with `Authorization: Bearer <LEADBOT_WEBHOOK_SECRET>`, compared
in constant time; without that setting the endpoint does not exist (404). The lead is
stored and its processing queued before the 202 answer; from there it is qualified and
posted like a lead dropped in Slack. A request that is refused stores nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictStr,
    ValidationError,
    model_validator,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.lead_files import MAX_LEAD_BYTES
from bot.pipeline import LeadPipeline
from bot.store.repository import content_dedupe_key
from qualifiers.models import Lead

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/lead"
SOURCE_WEBHOOK = "webhook"
MAX_BODY_BYTES = MAX_LEAD_BYTES
MAX_PROBLEMS_SHOWN = 5


def _scalar_text(value: object) -> object:
    """Forms send numbers and checkboxes too: they become text, as in a CSV. Lists and
    objects are refused with one clear message instead of one per accepted type."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected text, a number or true/false, got {type(value).__name__}")


ScalarText = Annotated[str | None, BeforeValidator(_scalar_text)]


class WebhookLead(BaseModel):
    """The request body. Unknown keys are refused, so a misspelt `fields` is not lost."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = ""
    fields: dict[str, ScalarText] = Field(default_factory=dict)
    id: ScalarText = Field(
        default=None,
        max_length=150,
        description="The sender's id for the lead: sending it again is no new lead.",
    )
    source: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,30}$",
        description="The form's name; the lead's source becomes `webhook:<source>`.",
    )
    submitted_by: StrictStr | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _has_content(self) -> WebhookLead:
        if not self.text.strip() and not self.field_texts():
            raise ValueError("expected the lead's `text` or some `fields`, got neither")
        return self

    def field_texts(self) -> dict[str, str]:
        return {name: value.strip() for name, value in self.fields.items() if (value or "").strip()}

    def lead(self, received_at: datetime | None = None) -> Lead:
        return Lead(
            received_at=received_at,
            id=self.id,
            text=self.text.strip(),
            fields=self.field_texts(),
            source=f"{SOURCE_WEBHOOK}:{self.source}" if self.source else SOURCE_WEBHOOK,
            submitted_by=self.submitted_by,
        )

    def dedupe_key(self, lead: Lead) -> str:
        """The sender's id (per source, so two forms may both count from 1), else the content."""
        if self.id is None:
            return content_dedupe_key(lead)
        return f"{lead.source}:{self.id}"


@dataclass
class WebhookResponse:
    status: int
    body: dict
    headers: list[tuple[str, str]] = field(default_factory=list)


class LeadWebhook:
    def __init__(self, pipeline: LeadPipeline, secret: SecretStr | None):
        self.pipeline = pipeline
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
            body = WebhookLead.model_validate(_json_object(raw))
        except ValueError as exc:  # a JSON syntax error, or pydantic's ValidationError
            return _error(400, "invalid_lead", _problems(exc))
        lead = body.lead(received_at=datetime.now(UTC))
        try:
            stored, created = self.pipeline.receive(lead, dedupe_key=body.dedupe_key(lead))
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


def _json_object(raw: bytes) -> dict:
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"body: expected UTF-8 JSON, found a byte that is not (byte {exc.start})"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"body: expected JSON, line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(parsed, dict):
        raise ValueError(f"body: expected a JSON object, got {type(parsed).__name__}")
    return parsed


def _problems(error: ValueError) -> str:
    """Each problem as "field: what was expected", the field as a dotted path."""
    if not isinstance(error, ValidationError):
        return str(error)
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: "
        f"{problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors()[:MAX_PROBLEMS_SHOWN]
    ]
    return "; ".join(problems)


def _error(
    status: int, error: str, detail: str, headers: list[tuple[str, str]] | None = None
) -> WebhookResponse:
    return WebhookResponse(status, {"error": error, "detail": detail}, headers or [])


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
