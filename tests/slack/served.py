"""`leadbot serve` as started from the docs, in a subprocess: gunicorn over HTTP, Slack
faked at its wire. `serve(...)` yields the running server once it says it is ready."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from slack_helpers import process_env


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def worker_rss_kib(self) -> int:
        """Resident memory of gunicorn's worker process (the arbiter's child that is not
        the `leadbot worker` serve starts beside it)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        [worker] = [
            child
            for child in children.read_text().split()
            if b"--exit-with-parent" not in Path(f"/proc/{child}/cmdline").read_bytes()
        ]
        status = Path(f"/proc/{worker}/status").read_text()
        [rss] = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        return int(rss.split()[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(fake_slack, tmp_path: Path, **extra_env: str) -> Iterator[Served]:
    port = _free_port()
    env = process_env(fake_slack.url, f"sqlite:///{tmp_path / 'served.db'}", **extra_env)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("leadbot")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}", port, process)
    ready = threading.Event()

    def read_log() -> None:
        for line in process.stderr:
            served.log.append(line)
            if "leadbot ready" in line:
                ready.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not ready.wait(30):
            pytest.fail("leadbot serve did not start:\n" + "".join(served.log))
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(40)  # gunicorn drains, then its worker finishes what it runs
        reader.join(5)
