"""Leads sent over HTTP by web forms and other systems (`POST /webhooks/lead`, served by
`bot.slack.webhook_endpoint`): the JSON body, validated, as a `Lead` with its dedupe key."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    model_validator,
)

from bot.domain.lifecycle import LeadSource
from bot.store.repository import content_dedupe_key
from qualifiers.models import Lead

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
            source=f"{LeadSource.WEBHOOK}:{self.source}" if self.source else LeadSource.WEBHOOK,
            submitted_by=self.submitted_by,
        )

    def dedupe_key(self, lead: Lead, idempotency_key: str | None = None) -> str:
        """The sender's id (per source, so two forms may both count from 1), else its
        Idempotency-Key header, else the content."""
        if self.id is not None:
            return f"{lead.source}:{self.id}"
        if idempotency_key is not None:
            return f"{lead.source}:idempotency:{idempotency_key}"
        return content_dedupe_key(lead)


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,150}$")


def idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key header (visible ASCII, at most 150 characters), or None when
    absent; `InvalidLead` when it is malformed."""
    if header is None or not header.strip():
        return None
    if not IDEMPOTENCY_KEY.match(header.strip()):
        raise InvalidLead("Idempotency-Key: expected 1 to 150 visible ASCII characters")
    return header.strip()


class InvalidLead(ValueError):
    """The body is not a lead: the message says what was expected, field by field."""


def parse_lead_request(raw: bytes) -> WebhookLead:
    """The request body as a `WebhookLead`, or `InvalidLead`."""
    try:
        return WebhookLead.model_validate(_json_object(raw))
    except ValueError as exc:  # a JSON syntax error, or pydantic's ValidationError
        raise InvalidLead(_problems(exc)) from None


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
    except RecursionError:
        raise ValueError("body: expected JSON, found arrays or objects nested too deeply") from None
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
