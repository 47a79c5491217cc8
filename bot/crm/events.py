"""Signed lead events POSTed to LEADBOT_EVENTS_URL by the worker.

The body is the exact JSON queued with the move; each attempt is signed anew (a fresh
timestamp, as Slack does) and carries `X-Leadbot-Event-Id` so a receiver can drop a
delivery it already took (a timeout after it answered 2xx). Anything but a 2xx raises
`HandoffError`: the work item stays pending and the worker retries it with backoff.
"""

from __future__ import annotations

import json

import httpx

from bot.crm.signing import signed_headers
from bot.domain.work import SendLeadEvent

EVENT_ID_HEADER = "X-Leadbot-Event-Id"


class HandoffError(Exception):
    """An outside system refused or did not answer; the work is retried later."""


def event_bytes(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


class EventSender:
    def __init__(self, url: str, secret: str, *, timeout_seconds: float = 10.0):
        self.url = url
        self.secret = secret
        self.timeout_seconds = timeout_seconds

    def send(self, message: SendLeadEvent, _attempts: int = 1) -> None:
        body = event_bytes(message.body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "leadbot",
            EVENT_ID_HEADER: message.event_id,
            **signed_headers(self.secret, body),
        }
        try:
            response = httpx.post(
                self.url, content=body, headers=headers, timeout=self.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise HandoffError(f"{message.body.get('event')} event: {exc}") from exc
        if not response.is_success:
            raise HandoffError(
                f"{message.body.get('event')} event: the receiver answered "
                f"{response.status_code} {response.text[:200]!r}"
            )
