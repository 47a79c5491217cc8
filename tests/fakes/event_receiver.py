"""An outside system leadbot hands leads to: records every request and answers 500 while
it has `failures` left to give (a receiver that is down for a while), then 204."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from .local_service import FakeRequestHandler, LocalService


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    raw: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.raw)


class FailingReceiver(LocalService):
    def __init__(self, *, failures: int = 0) -> None:
        """`failures`: how many requests from now on are answered 500 (settable later)."""
        super().__init__(_Handler)
        self.failures = failures
        self._cond = threading.Condition()
        self._requests: list[ReceivedRequest] = []

    @property
    def url(self) -> str:
        return self.root_url + "/events"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._cond:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until `count` requests arrived (accepted or not)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} request(s), got {len(self._requests)}")
            return list(self._requests)

    def accepted(self) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.status < 300]

    def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> int:
        with self._cond:
            status = 500 if self.failures > 0 else 204
            self.failures = max(0, self.failures - 1)
            self._requests.append(ReceivedRequest(method, path, headers, raw, status))
            self._cond.notify_all()
        return status


class _Handler(FakeRequestHandler):
    def _serve(self, http_method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = self.server.fake._handle(http_method, self.path, headers, raw)
        body = b'{"error":"receiver down"}' if status >= 500 else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: test output shows failures, not access logs."""
