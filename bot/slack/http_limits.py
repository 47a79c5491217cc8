"""What every HTTP request must satisfy before leadbot spends memory or a listener on it.

A body is refused from its `Content-Length` before a byte of it is read, and a chunked
body as soon as it passes the limit; a body that stops short of its length (the client
stalled until the server's read deadline, see `bot.slack.web.BoundedThreadWorker`, or hung
up) is refused too. Slack's signature headers are checked before the body is read. Each
refusal is a `RequestRefused`: a status and a one-line reason, never a traceback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

SLACK_MAX_BODY_BYTES = 1_000_000  # Slack's own payloads are a few kB; views stay far below
SLACK_MAX_CLOCK_SKEW_SECONDS = 300  # Slack's rule: older requests may be replays
READ_CHUNK_BYTES = 64 * 1024
SLACK_CONTENT_TYPES = frozenset({"application/json", "application/x-www-form-urlencoded"})


@dataclass
class RequestRefused(Exception):
    """A request answered with `status` and `{"error": error, "detail": detail}`."""

    status: int
    error: str
    detail: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.detail}"


def read_body(environ: dict, max_bytes: int) -> bytes:
    """The request body, at most `max_bytes` of it, or `RequestRefused` (400, 408, 411, 413)."""
    stream = environ["wsgi.input"]
    length = str(environ.get("CONTENT_LENGTH") or "").strip()
    chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
    if length and not chunked:
        if not length.isdigit():
            raise RequestRefused(400, "bad_content_length", "expected Content-Length digits")
        announced = int(length)
        if announced > max_bytes:
            raise _too_large(max_bytes)
        return _read_exactly(stream, announced)
    if not chunked:
        return b""  # no length and not chunked: no body (reading would wait for one)
    body = _read_up_to(stream, max_bytes + 1)
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    return body


def _read_exactly(stream, size: int) -> bytes:
    body = _read_up_to(stream, size)
    if len(body) < size:
        raise RequestRefused(
            408,
            "incomplete_body",
            f"the body ended after {len(body)} of its {size} bytes "
            "(the client stopped sending or was too slow)",
        )
    return body


def _read_up_to(stream, size: int) -> bytes:
    """Read in chunks, so a short read (end of body, or the read deadline) ends it."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(remaining, READ_CHUNK_BYTES))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _too_large(max_bytes: int) -> RequestRefused:
    return RequestRefused(413, "too_large", f"expected a body of at most {max_bytes:,} bytes")


def check_slack_headers(headers: dict, *, now: float | None = None) -> None:
    """Slack's signature headers are present, and the timestamp is a Unix time within five
    minutes of ours, before the body is read. The signature itself needs the body."""
    timestamp = str(headers.get("x-slack-request-timestamp") or "").strip()
    signature = str(headers.get("x-slack-signature") or "").strip()
    if not timestamp or not signature:
        raise RequestRefused(
            401,
            "invalid_signature",
            "expected the headers X-Slack-Request-Timestamp and X-Slack-Signature",
        )
    if not timestamp.isdigit():
        raise RequestRefused(
            400, "invalid_timestamp", "expected X-Slack-Request-Timestamp in Unix seconds"
        )
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > SLACK_MAX_CLOCK_SKEW_SECONDS:
        raise RequestRefused(
            401, "stale_request", "X-Slack-Request-Timestamp is more than five minutes off"
        )


def content_type(headers: dict) -> str:
    return str(headers.get("content-type") or "").split(";")[0].strip().lower()


def check_slack_content_type(headers: dict) -> None:
    if content_type(headers) not in SLACK_CONTENT_TYPES:
        raise RequestRefused(
            415,
            "unsupported_content_type",
            "expected application/json or application/x-www-form-urlencoded",
        )
