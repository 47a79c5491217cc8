"""Logging as the entry points set it up: one handler whose records are masked and one line each.

Every record, leadbot's or a library's, passes the handler's `RedactingFilter`: secrets are
always masked, personal data with LEADBOT_REDACT_PII, and line breaks in a message are escaped
so a lead id or a subject line cannot forge a log line. At DEBUG the HTTP clients' own loggers
would print whole request bodies (slack_sdk logs every chat.postMessage, openai every prompt,
httpcore every header); they are held at INFO, which logs a request's method and URL only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO

from qualifiers.extract.redact import DEFAULT_PHONE_REGIONS, redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that write request or response bodies, headers or prompts at DEBUG.
BODY_LOGGERS = ("slack_sdk", "slack_bolt", "openai", "httpx", "httpcore", "urllib3", "langsmith")


class RedactingFilter(logging.Filter):
    """Masks a record's message and traceback in place; never drops a record."""

    def __init__(self, *, pii: bool, phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS):
        super().__init__()
        self.pii = pii
        self.phone_regions = tuple(phone_regions)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self._mask(record.getMessage())
        record.msg, record.args = message.replace("\r", "\\r").replace("\n", "\\n"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        return True

    def _mask(self, text: str) -> str:
        return redact(text, pii=self.pii, phone_regions=self.phone_regions)


def configure_logging(
    level: int | str,
    *,
    pii: bool,
    phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Root logging for a leadbot process (the CLI and `leadbot serve`); returns its handler,
    which replaces the one an earlier call installed (other handlers are left alone)."""
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter(pii=pii, phone_regions=phone_regions))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "leadbot_handler", False)]:
        root.removeHandler(old)
    handler.leadbot_handler = True
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.INFO if root.getEffectiveLevel() < logging.INFO else logging.NOTSET
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    return handler


def mask_handlers_of(name: str) -> None:
    """A library logger with handlers of its own that does not propagate (gunicorn's error
    log) gets the masking of leadbot's own handler, so it cannot print a lead's details."""
    masks = [
        f
        for handler in logging.getLogger().handlers
        if getattr(handler, "leadbot_handler", False)
        for f in handler.filters
        if isinstance(f, RedactingFilter)
    ]
    for handler in logging.getLogger(name).handlers:
        for mask in masks:
            if mask not in handler.filters:
                handler.addFilter(mask)


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is emitted, not when it was set up."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr
