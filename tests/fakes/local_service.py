"""What both fakes share: a threaded HTTP server on 127.0.0.1 at a free port, started and
stopped around a test."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not hit SYN retries

    def __init__(self, fake: Any, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake


class FakeRequestHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1; subclasses implement `_serve(http_method)`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this each answer would wait ~40 ms
    # for the client's delayed ACK, a stall real services don't have.
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, http_method: str) -> None:
        raise NotImplementedError


class LocalService:
    """Lifecycle of a fake: use as a context manager, or `start()` and `stop()`."""

    def __init__(self, handler: type[FakeRequestHandler]) -> None:
        self._handler = handler
        self._stopping = threading.Event()  # wakes handlers sleeping in a delay on stop
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._stopping.clear()
        self._server = FakeHTTPServer(self, self._handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
