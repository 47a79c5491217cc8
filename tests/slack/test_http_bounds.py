"""Bounded requests through the real server (`leadbot serve`: gunicorn, its threaded worker
and leadbot's read deadline) with real sockets: oversized bodies are refused without being
read, and slow clients hold a thread for the read timeout at most."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest
from served import serve
from slack_helpers import WARM_LEAD, SlackSide

READ_TIMEOUT = 1.0
HUNDRED_MB = 100 * 1024


@pytest.fixture
def served(fake_slack, tmp_path):
    """Two HTTP threads and a one-second read deadline, so a few slow clients would hold
    every thread if nothing bounded them."""
    with serve(
        fake_slack,
        tmp_path,
        LEADBOT_HTTP_THREADS="2",
        LEADBOT_HTTP_READ_TIMEOUT=str(READ_TIMEOUT),
    ) as server:
        yield server


def _connect(served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", served.port), timeout=15)


def _head(path: str, *, length: int | None = None, chunked: bool = False, signed=True) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if signed:  # the headers a Slack request has; the signature is checked after reading
        lines += [f"X-Slack-Request-Timestamp: {int(time.time())}", "X-Slack-Signature: v0=00"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> tuple[int, dict]:
    """Status and JSON body of the response on `sock` (read until the body is complete)."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            raise AssertionError(f"connection closed after {data!r}")
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return status, json.loads(body)


def _healthy(served) -> bool:
    with urllib.request.urlopen(served.url + "/healthz", timeout=10) as response:
        return response.status == 200


def test_a_300_mb_body_is_refused_from_its_length_without_being_read(served):
    before = served.worker_rss_kib()
    for signed, expected in ((True, (413, "too_large")), (False, (401, "invalid_signature"))):
        with _connect(served) as sock:
            sock.sendall(_head("/slack/events", length=300 * 1024 * 1024, signed=signed))
            sock.sendall(b"{" * 4096)  # the start of the body; the rest never comes
            status, body = _answer(sock)
        assert (status, body["error"]) == expected
    with _connect(served) as sock:
        sock.sendall(_head("/webhooks/lead", length=300 * 1024 * 1024, signed=False))
        assert _answer(sock)[0] == 404  # no LEADBOT_WEBHOOK_SECRET: the endpoint is absent
    assert served.worker_rss_kib() - before < 20 * 1024
    assert "Traceback" not in "".join(served.log)


def test_a_chunked_body_is_refused_once_it_passes_one_megabyte(served):
    before = served.worker_rss_kib()
    with _connect(served) as sock:
        sock.sendall(_head("/slack/events", chunked=True))
        chunk = b"x" * HUNDRED_MB
        for _ in range(11):  # 1.1 MB, in 100 kB chunks
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status, body = _answer(sock)
    assert (status, body["error"]) == (413, "too_large")
    assert "1,000,000 bytes" in body["detail"]
    assert served.worker_rss_kib() - before < 20 * 1024


def test_slow_clients_do_not_block_health_checks_or_signed_events(served, fake_slack):
    """Four clients announce 100 bytes and send one, one more stops in its headers: with
    two threads, each is cut off at the read deadline and the next requests are served."""
    slow = [_connect(served) for _ in range(4)]
    for sock in slow:
        sock.sendall(_head("/slack/events", length=100) + b"{")
    stalled_headers = _connect(served)
    stalled_headers.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    started = time.monotonic()
    assert _healthy(served)
    slack = SlackSide(served.url)
    assert slack.event(slack.message_event(WARM_LEAD)).status == 200
    assert time.monotonic() - started < 10 * READ_TIMEOUT

    for sock in slow:
        status, body = _answer(sock)
        assert (status, body["error"]) == (408, "incomplete_body")
        sock.close()
    assert stalled_headers.recv(1024) == b""  # dropped without an answer
    stalled_headers.close()
    fake_slack.wait_for("chat.postMessage", 2, timeout=15)  # the signed event's lead, posted
    assert "Traceback" not in "".join(served.log)
