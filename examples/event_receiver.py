"""A receiver for leadbot's events (docs/handoff.md): checks the signature, drops repeats.

Standard library only; run it with `python examples/event_receiver.py` and set
LEADBOT_EVENTS_URL=http://127.0.0.1:8080/ and LEADBOT_EVENTS_SECRET to the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

MAX_AGE_SECONDS = 300  # older timestamps are refused: a replayed request


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes) -> bool:
    """Recompute `v0=HMAC-SHA256(secret, "v0:{timestamp}:{raw body}")` and compare."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Receiver(BaseHTTPRequestHandler):
    secret = os.environ.get("LEADBOT_EVENTS_SECRET", "")
    seen: ClassVar[set[str]] = set()  # event ids taken; a real receiver keeps them in its database

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not verify(
            self.secret,
            self.headers.get("X-Leadbot-Request-Timestamp"),
            self.headers.get("X-Leadbot-Signature"),
            body,
        ):
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        if event["id"] not in self.seen:  # leadbot retries until it gets a 2xx
            self.seen.add(event["id"])
            print(event["event"], event["lead"]["id"], event["rep"], event["at"])
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8080), Receiver).serve_forever()
