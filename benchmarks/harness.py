"""What the serving benchmarks share: the Slack Web API stand-in (tests/fakes), `leadbot
serve` and `leadbot worker` as subprocesses, signed message events, PostgreSQL scratch
schemas, counting what reached Slack, RSS. Run by hand; nothing here is a test."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from fakes.slack_api import FakeSlackAPI  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
INTAKE, SALES, MARKETER = "CINTAKE", "CSALES", "UMKT"
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
LEAD_TEXT = (
    "Lead {n}: Dana Whitfield, VP of Sales at Globex{n} (1,400 employees), budget $80k, "
    "wants to buy this quarter."
)
PERMALINK_TS = re.compile(r"/archives/" + INTAKE + r"/p(\d+)")
# leadbot's channel pacing raised out of the way, for benchmarks that time leadbot itself
# rather than Slack's limit (delivery.py burst measures the pacing)
UNPACED = {"LEADBOT_SLACK_CHANNEL_RATE": "1000", "LEADBOT_SLACK_CHANNEL_BURST": "1000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def leadbot_env(slack_url: str, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "LEADBOT_", "OPENAI_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_url,
        LEADBOT_INTAKE_CHANNELS=INTAKE,
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_DATABASE_URL=database_url,
        LEADBOT_MODEL="offline",
        LEADBOT_LOG_LEVEL="WARNING",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def leadbot_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", *args]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process in its own session, so `kill -9` of its group takes its children too."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=out, start_new_session=True, cwd=log.parent
        )


def start_serve(env, port: int, log: Path, *args: str) -> subprocess.Popen:
    command = leadbot_command("serve", "--host", "127.0.0.1", "--port", str(port), *args)
    return start(command, env, log)


def kill9(process: subprocess.Popen) -> None:
    """kill -9 the process and everything it started (its session)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill9(process)


def health(base_url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError as error:
        return 0, {"error": str(error)}


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def wait_ready(base_url: str, timeout: float = 60) -> None:
    wait_until(lambda: health(base_url, 2)[0] in (200, 503), timeout, f"{base_url} to answer")


def message_body(n: int, *, ts: str | None = None) -> tuple[str, str]:
    """A Slack event_callback for lead `n`; returns (body, ts)."""
    ts = ts or f"{1_800_000_000 + n}.{n % 1_000_000:06d}"
    event = {
        "type": "message",
        "channel": INTAKE,
        "user": MARKETER,
        "text": LEAD_TEXT.format(n=n),
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    body = {
        "token": "x",
        "team_id": "T111",
        "api_app_id": "A111",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{n:08d}",
        "event_time": int(time.time()),
    }
    return json.dumps(body), ts


def slack_signature(body: str) -> tuple[str, str]:
    """(timestamp, signature) of Slack signing `body` now with SIGNING_SECRET."""
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    return timestamp, "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def post_signed(base_url: str, body: str, timeout: float = 10) -> tuple[int, float]:
    """POST a signed event; returns (status, seconds). Status 0: no answer."""
    timestamp, signature = slack_signature(body)
    request = urllib.request.Request(
        base_url + "/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - started


def send_leads(base_url: str, numbers, concurrency: int = 20) -> list[tuple[int, float]]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda n: post_signed(base_url, message_body(n)[0]), numbers))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarised_lead(message: dict) -> str | None:
    """The intake message ts a summary links back to (its permalink); None for any other
    message (a thread reply, plain text)."""
    if "blocks" not in message or "thread_ts" in message:
        return None
    match = PERMALINK_TS.search(json.dumps(message["blocks"]))
    if match is None:
        return None
    digits = match.group(1)
    return f"{digits[:-6]}.{digits[-6:]}"


def summaries_per_lead(fake: FakeSlackAPI) -> Counter:
    """Summary posts per intake message ts."""
    return Counter(
        ts for call in fake.calls("chat.postMessage") if (ts := summarised_lead(call.body))
    )


def intake_replies_per_lead(fake: FakeSlackAPI) -> Counter:
    return Counter(
        call.body["thread_ts"]
        for call in fake.calls("chat.postMessage")
        if call.body.get("channel") == INTAKE and "thread_ts" in call.body
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def children_cpu() -> float:
    """CPU seconds (user + system) of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def qualify_environment(database_url: str, **extra: str) -> dict[str, str]:
    """A `leadbot qualify` subprocess's environment: no outside LEADBOT_/OPENAI_ settings,
    the given database, nothing proxied, and `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "OPENAI_"))}
    return env | {"LEADBOT_DATABASE_URL": database_url, "NO_PROXY": "127.0.0.1"} | extra


@contextmanager
def fresh_database(backend: str, scratch: Path, postgres: str | None):
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{scratch / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    with postgres_schema(postgres) as url:
        yield url


@contextmanager
def postgres_schema(url: str):
    """A fresh schema on PostgreSQL, dropped afterwards; yields a URL that uses it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"leadbot_bench_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = admin_url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_if_reachable(url: str):
    """`postgres_schema`, or None (the reason printed) when PostgreSQL cannot be reached."""
    with ExitStack() as stack:
        try:
            scoped = stack.enter_context(postgres_schema(url))
        except Exception as exc:
            print(f"PostgreSQL at {url} unavailable: {exc}")
            scoped = None
        yield scoped


def verdict(met: bool) -> str:
    return "target met" if met else "TARGET MISSED"


def load_note() -> str:
    load1, _, _ = os.getloadavg()
    return f"load average {load1:.1f} on {os.cpu_count()} cores" + (
        " (machine busy: figures are noisy)" if load1 > (os.cpu_count() or 1) else ""
    )


def bare_bolt_handler():
    """The floor both ack benchmarks measure against: Bolt's WSGI handler for an app whose
    one listener only acks, signed with SIGNING_SECRET."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_bolt.authorization import AuthorizeResult

    app = App(
        signing_secret=SIGNING_SECRET,
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T111", bot_token="xoxb-bench", bot_user_id="UB"
        ),
        process_before_response=True,
    )

    @app.event("message")
    def only_ack() -> None:
        """Bolt acks once the listener returns."""

    return SlackRequestHandler(app)
