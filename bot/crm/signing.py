"""The request signature leadbot sends and accepts: Slack's scheme under leadbot's names.

`X-Leadbot-Request-Timestamp: <unix seconds>` and `X-Leadbot-Signature: v0=<hex>`, where hex
is the HMAC-SHA256 of `v0:{timestamp}:{body}` with the shared secret. A receiver recomputes
it over the raw body and refuses timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Leadbot-Request-Timestamp"
SIGNATURE_HEADER = "X-Leadbot-Signature"
VERSION = "v0"
MAX_AGE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers for `body`, signed now."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(
    secret: str,
    timestamp: str | None,
    received: str | None,
    body: bytes,
    now: float | None = None,
) -> bool:
    """Whether `received` signs `body` with `secret` at a timestamp within MAX_AGE_SECONDS."""
    if not timestamp or not received or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), received)
