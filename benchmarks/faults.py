"""Fault benchmarks for `leadbot serve` and `leadbot worker`, driven from outside with signed
events and the Slack Web API stand-in. Each scenario prints its figures and whether its
target is met; a failed ack is resent, as Slack retries.

    python benchmarks/faults.py kill-serve  [--rounds 10] [--postgres URL]
    python benchmarks/faults.py kill-worker [--rounds 10] [--postgres URL]
        kill -9 at a random point of a burst, restart; 0 lost, 0 doubled, all posted
        within 30 s of the restart.
    python benchmarks/faults.py db-outage [--postgres URL]
        PostgreSQL (through a TCP proxy) refuses connections for 10 s mid-burst: 0 lost,
        workers recover, /healthz says 503 during the outage and 200 after.
    python benchmarks/faults.py replicas [--postgres URL]
        2 `serve` replicas (each with its worker) + 1 `leadbot worker` on PostgreSQL; one
        replica is killed -9 while holding work: the others finish it within 30 s.
    python benchmarks/faults.py memory [--leads 10000]
        RSS of every serve process after 1,000 and after all leads.

Without --postgres, kill-serve, kill-worker and memory use SQLite; db-outage and replicas
use postgresql://127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import selectors
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    DEFAULT_POSTGRES,
    FakeSlackAPI,
    free_port,
    health,
    kill9,
    leadbot_command,
    leadbot_env,
    load_note,
    message_body,
    post_signed,
    postgres_schema,
    process_tree,
    rss_mb,
    send_leads,
    start,
    start_serve,
    stop,
    summaries_per_lead,
    verdict,
    wait_ready,
    wait_until,
)

RECOVERY_TARGET_SECONDS = 30.0
BURST = 40


class Scenario:
    """A fake Slack, a database and the processes of one run."""

    def __init__(self, workdir: Path, fake: FakeSlackAPI, database_url: str):
        self.workdir = workdir
        self.fake = fake
        self.database_url = database_url
        self.numbers = iter(range(1, 10**7))
        self.sent: dict[int, str] = {}  # lead number -> its intake ts

    def env(self, **extra):
        """Channel pacing is raised out of the way: these runs time recovery, and at Slack's
        1/s per channel (benchmarks/delivery.py measures it) 90 leads would take 90 s."""
        return leadbot_env(
            self.fake.url,
            self.database_url,
            LEADBOT_WORKER_LEASE="20",
            LEADBOT_SLACK_CHANNEL_RATE="1000",
            LEADBOT_SLACK_CHANNEL_BURST="1000",
            **extra,
        )

    def serve(self, *args: str, port: int | None = None):
        port = port or free_port()
        process = start_serve(self.env(), port, self.workdir / "serve.log", *args)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        return process, url, port

    def worker(self):
        return start(leadbot_command("worker"), self.env(), self.workdir / "worker.log")

    def burst(self, urls: list[str], count: int = BURST, concurrency: int = 10) -> list[int]:
        """Send `count` new leads round robin; returns the numbers not acknowledged."""
        numbers = [next(self.numbers) for _ in range(count)]
        for n in numbers:
            self.sent[n] = message_body(n)[1]

        def send(n: int) -> int | None:
            status, _ = post_signed(urls[n % len(urls)], message_body(n)[0], timeout=10)
            return None if status == 200 else n

        results = send_leads_fn(send, numbers, concurrency)
        return [n for n in results if n is not None]

    def resend(self, url: str, numbers: list[int], deadline: float = 60) -> None:
        """Slack's retries: resend until acknowledged."""
        pending = list(numbers)
        end = time.monotonic() + deadline
        while pending:
            if time.monotonic() > end:
                raise TimeoutError(f"{len(pending)} lead(s) never acknowledged")
            pending = [n for n in pending if post_signed(url, message_body(n)[0])[0] != 200]
            if pending:
                time.sleep(0.5)

    def all_posted(self) -> bool:
        posted = summaries_per_lead(self.fake)
        return all(ts in posted for ts in self.sent.values())

    def counts(self) -> tuple[int, int]:
        posted = summaries_per_lead(self.fake)
        lost = sum(1 for ts in self.sent.values() if ts not in posted)
        doubled = sum(1 for ts in self.sent.values() if posted.get(ts, 0) > 1)
        return lost, doubled


def send_leads_fn(send, numbers, concurrency):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(send, numbers))


def kill_rounds(scenario: Scenario, rounds: int, target: str) -> bool:
    """kill -9 `serve` (with its worker) or a separate `worker` mid-burst, `rounds` times."""
    rng = random.Random(11)
    scenario.fake.set_delay(0.05, "chat.postMessage")  # work in flight when the kill comes
    if target == "serve":
        serve, url, port = scenario.serve()
        worker = None
    else:
        serve, url, port = scenario.serve("--no-worker")
        worker = scenario.worker()
    recoveries = []
    try:
        for round_number in range(1, rounds + 1):
            unacked: list[int] = []
            sender = threading.Thread(
                target=lambda into=unacked, to=url: into.extend(scenario.burst([to]))
            )
            sender.start()
            time.sleep(rng.uniform(0.2, 2.0))  # a random point of the burst
            if target == "serve":
                kill9(serve)
            else:
                kill9(worker)
            sender.join()
            restarted = time.monotonic()
            if target == "serve":
                serve, url, port = scenario.serve(port=port)
            else:
                worker = scenario.worker()
            scenario.resend(url, unacked)
            wait_until(scenario.all_posted, 120, "all leads posted", interval=0.2)
            recoveries.append(time.monotonic() - restarted)
            lost, doubled = scenario.counts()
            print(
                f"  round {round_number}: {len(unacked)} unacknowledged and resent, "
                f"all posted {recoveries[-1]:.1f} s after the restart; so far {lost} lost, "
                f"{doubled} doubled",
                flush=True,
            )
    finally:
        stop(serve)
        if worker is not None:
            stop(worker)
    lost, doubled = scenario.counts()
    worst = max(recoveries)
    print(
        f"kill -9 of {target}, {rounds} rounds, {len(scenario.sent)} leads: {lost} lost, "
        f"{doubled} doubled, recovered within {worst:.1f} s (worst)"
    )
    met = lost == 0 and doubled == 0 and worst <= RECOVERY_TARGET_SECONDS
    print(f"target 0 lost, 0 doubled, recovered within 30 s: {verdict(met)}")
    if doubled:
        print("  (doubles come from a post that Slack took but the killed process never recorded)")
    return met


class RefusingProxy:
    """A TCP proxy to PostgreSQL that can refuse connections (and drop open ones)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.open()
        threading.Thread(target=self._pump, daemon=True).start()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        """Close the port (new connections are refused) and cut every open connection."""
        listener, self._listener = self._listener, None
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for end in pair:
                end.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))

    def _pump(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pairs = list(self._pairs)
            if not pairs:
                time.sleep(0.005)
                continue
            selector = selectors.DefaultSelector()
            for a, b in pairs:
                with contextlib.suppress(ValueError, OSError):
                    selector.register(a, selectors.EVENT_READ, b)
                    selector.register(b, selectors.EVENT_READ, a)
            try:
                ready = selector.select(0.02)
            except OSError:
                ready = []
            for key, _ in ready:
                try:
                    data = key.fileobj.recv(65536)
                    if data:
                        key.data.sendall(data)
                        continue
                except OSError:
                    pass
                self._drop(key.fileobj)
            selector.close()

    def _drop(self, end: socket.socket) -> None:
        with self._lock:
            for pair in list(self._pairs):
                if end in pair:
                    self._pairs.remove(pair)
                    for side in pair:
                        side.close()


def db_outage(workdir: Path, fake: FakeSlackAPI, postgres: str, seconds: float = 10) -> bool:
    from sqlalchemy.engine import make_url

    with postgres_schema(postgres) as url:
        parsed = make_url(url)
        proxy = RefusingProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        scenario = Scenario(workdir, fake, proxied)
        serve, url_, _ = scenario.serve()
        try:
            first = scenario.burst([url_], count=60)
            proxy.refuse()
            outage_started = time.monotonic()
            during = scenario.burst([url_], count=40)
            statuses = []
            while time.monotonic() - outage_started < seconds:
                statuses.append(health(url_)[0])
                time.sleep(0.5)
            proxy.open()
            reopened = time.monotonic()
            scenario.resend(url_, first + during)
            after = scenario.burst([url_], count=40)
            scenario.resend(url_, after)
            wait_until(scenario.all_posted, 120, "all leads posted", interval=0.2)
            recovered = time.monotonic() - reopened
            healthy_after = wait_until(
                lambda: health(url_)[0] == 200, 60, "/healthz 200 again", interval=0.5
            )
        finally:
            stop(serve)
    lost, doubled = scenario.counts()
    said_503 = statuses.count(503)
    print(
        f"database refusing connections {seconds:g} s: {len(scenario.sent)} leads "
        f"({len(first) + len(during)} acks refused and resent), {lost} lost, {doubled} doubled; "
        f"/healthz 503 in {said_503} of {len(statuses)} checks during the outage, "
        f"{'200' if healthy_after else 'not 200'} after; all posted {recovered:.1f} s after "
        "the database came back"
    )
    met = lost == 0 and said_503 >= max(1, len(statuses) - 2) and bool(healthy_after)
    print(f"target 0 lost, workers recover, health reports it: {verdict(met)}")
    return met


def replicas(workdir: Path, fake: FakeSlackAPI, postgres: str) -> bool:
    with postgres_schema(postgres) as url:
        scenario = Scenario(workdir, fake, url)
        fake.set_delay(0.2, "chat.postMessage")  # the replica dies holding leased work
        first, first_url, _ = scenario.serve()
        second, second_url, _ = scenario.serve()
        worker = scenario.worker()
        try:
            scenario.burst([first_url, second_url], count=60)
            killed_at = time.monotonic()
            kill9(first)
            unacked = scenario.burst([first_url, second_url], count=30)
            scenario.resend(second_url, unacked)  # the load balancer sends them elsewhere
            wait_until(scenario.all_posted, 120, "all leads posted", interval=0.2)
            takeover = time.monotonic() - killed_at
        finally:
            for process in (first, second, worker):
                stop(process)
    lost, doubled = scenario.counts()
    print(
        f"2 replicas + 1 worker on PostgreSQL, one replica killed -9: {len(scenario.sent)} "
        f"leads, {lost} lost, {doubled} doubled, all posted {takeover:.1f} s after the kill"
    )
    met = lost == 0 and takeover <= RECOVERY_TARGET_SECONDS
    print(f"target 0 lost, takeover within 30 s: {verdict(met)}")
    return met


def memory(workdir: Path, fake: FakeSlackAPI, database_url: str, leads: int) -> bool:
    scenario = Scenario(workdir, fake, database_url)
    serve, url, _ = scenario.serve()
    try:

        def sizes() -> dict[int, float]:
            return {pid: rss_mb(pid) for pid in process_tree(serve.pid)}

        print(f"  at start: {_mb(sizes())}", flush=True)
        done, checkpoints, figures = 0, {1_000, leads}, {}
        while done < leads:
            count = min(1_000, leads - done)
            numbers = [next(scenario.numbers) for _ in range(count)]
            for n in numbers:
                scenario.sent[n] = message_body(n)[1]
            send_leads(url, numbers, 20)
            done += count
            wait_until(scenario.all_posted, 600, "all leads posted", interval=0.5)
            if done in checkpoints:
                figures[done] = sizes()
                print(f"  after {done:,} leads: {_mb(figures[done])}", flush=True)
            fake.clear()
            scenario.sent.clear()
    finally:
        stop(serve)
    early, late = figures[min(figures)], figures[leads]
    growth = max(late.get(pid, 0) - early.get(pid, 0) for pid in late)
    biggest = max(late.values())
    print(
        f"memory after {leads:,} leads: largest process {biggest:.0f} MB, "
        f"grew {growth:.1f} MB since 1,000 leads"
    )
    met = biggest < 150 and growth < 25
    print(f"target flat (< 150 MB, < 25 MB growth from 1,000 leads): {verdict(met)}")
    return met


def _mb(sizes: dict[int, float]) -> str:
    return ", ".join(f"pid {pid} {mb:.0f} MB" for pid, mb in sizes.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scenario", choices=("kill-serve", "kill-worker", "db-outage", "replicas", "memory")
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--postgres", help="PostgreSQL URL (default: SQLite where it can)")
    args = parser.parse_args()
    print(load_note(), flush=True)
    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as fake:
        workdir = Path(tmp)
        if args.scenario in ("db-outage", "replicas"):
            postgres = args.postgres or DEFAULT_POSTGRES
            run = db_outage if args.scenario == "db-outage" else replicas
            met = run(workdir, fake, postgres)
        else:
            with contextlib.ExitStack() as stack:
                url = (
                    stack.enter_context(postgres_schema(args.postgres))
                    if args.postgres
                    else f"sqlite:///{workdir / 'bench.db'}"
                )
                if args.scenario == "memory":
                    met = memory(workdir, fake, url, args.leads)
                else:
                    target = args.scenario.removeprefix("kill-")
                    met = kill_rounds(Scenario(workdir, fake, url), args.rounds, target)
    print(load_note())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
